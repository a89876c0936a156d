// confab-bench-view: how the GUI client's message view copes with a long conversation.
// Opens a ConversationView on a model of 100,000 messages (time until it has been laid out and
// painted once), then appends messages one at a time while following the bottom, each followed by
// a repaint, and reports the time per append (mean, p99, max). Run it with the offscreen platform:
//   QT_QPA_PLATFORM=offscreen build-bench/bin/confab-bench-view [rows] [appends]
#include "conversationmodel.h"
#include "conversationview.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QScrollBar>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace Confab;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    const int rows = args.size() > 1 ? args.at(1).toInt() : 100000;
    const int appends = args.size() > 2 ? args.at(2).toInt() : 500;

    // A realistic mix: a handful of senders, short and long lines, some needing several lines.
    const QStringList senders{QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("carol"),
                              QStringLiteral("dave"), QStringLiteral("erin")};
    auto textFor = [](int i) {
        QString text = QStringLiteral("message %1: ").arg(i);
        const int words = 3 + (i * 7919) % 40;
        for (int w = 0; w < words; ++w)
            text += QStringLiteral("word%1 ").arg((i + w) % 97);
        return text;
    };
    QElapsedTimer timer;
    timer.start();
    QVector<ConversationModel::Entry> entries;
    entries.reserve(rows);
    const QDateTime start = QDateTime::currentDateTime().addSecs(-rows);
    for (int i = 0; i < rows; ++i) {
        ConversationModel::Entry e;
        e.sender = senders.at(i % senders.size());
        e.text = textFor(i);
        e.timestamp = start.addSecs(i);
        entries.append(e);
    }
    ConversationModel model;
    model.appendEntries(entries);
    const double fillMs = timer.nsecsElapsed() / 1e6;

    // Open: set the model on a shown view and paint it once.
    ConversationView view;
    view.resize(900, 700);
    timer.restart();
    view.setConversation(&model, ConversationKind::Room);
    view.show();
    view.scrollToLatest();
    view.repaint();
    QCoreApplication::processEvents();
    view.repaint();
    const double openMs = timer.nsecsElapsed() / 1e6;

    // Append while following the bottom, one message at a time, each followed by a paint.
    std::vector<double> appendMs;
    appendMs.reserve(size_t(appends));
    for (int i = 0; i < appends; ++i) {
        timer.restart();
        model.appendReceived(senders.at(i % senders.size()), textFor(rows + i), QDateTime::currentDateTime());
        QCoreApplication::processEvents();
        view.repaint();
        appendMs.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::vector<double> sorted = appendMs;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (double v : sorted)
        sum += v;
    const double mean = sorted.empty() ? 0 : sum / double(sorted.size());
    const double p99 = sorted.empty() ? 0 : sorted[std::min(sorted.size() - 1, size_t(0.99 * double(sorted.size())))];
    const double worst = sorted.empty() ? 0 : sorted.back();
    const bool followed = view.isAtBottom();

    std::printf("conversation of %d messages (model filled in %.1f ms): opened and painted in %.1f ms\n", rows, fillMs, openMs);
    std::printf("%d appends while following: mean %.2f ms, p99 %.2f ms, max %.2f ms per append+paint; still at bottom: %s\n",
                appends, mean, p99, worst, followed ? "yes" : "no");
    std::printf("RESULT mode=view rows=%d open_ms=%.1f append_mean_ms=%.3f append_p99_ms=%.3f append_max_ms=%.3f at_bottom=%d\n",
                rows, openMs, mean, p99, worst, followed ? 1 : 0);
    return 0;
}
