#include "conversationview.h"

#include "conversationmodel.h"
#include "messagedelegate.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QScrollBar>

#include <algorithm>

namespace Confab {

namespace {
constexpr int BottomSlackPx = 4; // this close to the end counts as "at the bottom"
}

ConversationView::ConversationView(QWidget *parent)
    : QListView(parent)
    , m_delegate(new MessageDelegate(this))
{
    setItemDelegate(m_delegate);
    setUniformItemSizes(false);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setResizeMode(QListView::Adjust);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setWordWrap(true);
    setTextElideMode(Qt::ElideNone);
    setMouseTracking(false);
    verticalScrollBar()->setSingleStep(20);
    m_delegate->setContentWidth(viewport()->width());

    connect(verticalScrollBar(), &QScrollBar::rangeChanged, this, &ConversationView::onRangeChanged);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, &ConversationView::onValueChanged);
}

void ConversationView::setConversation(ConversationModel *model, ConversationKind kind)
{
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = model;
    m_delegate->setConversationKind(kind);
    m_delegate->invalidateAll();
    m_follow = true;
    setModel(model);
    if (!model)
        return;
    connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                m_delegate->invalidateRows(topLeft.row(), bottomRight.row());
            });
    connect(model, &QAbstractItemModel::rowsRemoved, this, [this] { m_delegate->invalidateAll(); });
    connect(model, &QAbstractItemModel::modelReset, this, [this] { m_delegate->invalidateAll(); });
    connect(model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &, int first, int last) { m_delegate->rowsAppended(first, last); });
}

bool ConversationView::isAtBottom() const
{
    const QScrollBar *bar = verticalScrollBar();
    return bar->value() >= bar->maximum() - BottomSlackPx;
}

void ConversationView::scrollToLatest()
{
    m_follow = true;
    m_adjusting = true;
    verticalScrollBar()->setValue(verticalScrollBar()->maximum());
    m_adjusting = false;
}

void ConversationView::onRangeChanged(int, int max)
{
    if (!m_follow)
        return;
    m_adjusting = true;
    verticalScrollBar()->setValue(max);
    m_adjusting = false;
}

void ConversationView::onValueChanged(int)
{
    if (!m_adjusting)
        m_follow = isAtBottom();
}

void ConversationView::resizeEvent(QResizeEvent *event)
{
    // resizeEvent of a scroll area is the viewport's: the width rows wrap to.
    if (viewport()->width() != m_delegate->contentWidth()) {
        const bool follow = m_follow;
        m_delegate->setContentWidth(viewport()->width());
        m_follow = follow;
    }
    QListView::resizeEvent(event);
    if (m_follow)
        scrollToLatest();
}

QString ConversationView::selectedText() const
{
    if (!m_model || !selectionModel())
        return {};
    QModelIndexList rows = selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList lines;
    for (const QModelIndex &index : std::as_const(rows)) {
        const QString sender = index.data(ConversationModel::SenderRole).toString();
        const QString time = MessageDelegate::timeText(index.data(ConversationModel::TimestampRole).toDateTime());
        const QString text = index.data(ConversationModel::TextRole).toString();
        lines << (sender.isEmpty() ? QStringLiteral("[%1] * %2").arg(time, text)
                                   : QStringLiteral("[%1] %2: %3").arg(time, sender, text));
    }
    return lines.join(u'\n');
}

void ConversationView::copySelection()
{
    const QString text = selectedText();
    if (!text.isEmpty())
        QApplication::clipboard()->setText(text);
}

void ConversationView::keyPressEvent(QKeyEvent *event)
{
    if (event == QKeySequence::Copy) {
        copySelection();
        event->accept();
        return;
    }
    QListView::keyPressEvent(event);
    if (event->key() == Qt::Key_End && (event->modifiers() & Qt::ControlModifier))
        scrollToLatest();
}

void ConversationView::contextMenuEvent(QContextMenuEvent *event)
{
    const QModelIndex index = indexAt(event->pos());
    if (index.isValid() && !selectionModel()->isSelected(index))
        selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    QAction *copy = menu->addAction(tr("&Copy"), this, &ConversationView::copySelection);
    copy->setShortcut(QKeySequence::Copy);
    copy->setEnabled(selectionModel()->hasSelection());
    if (index.isValid()) {
        const QString text = index.data(ConversationModel::TextRole).toString();
        menu->addAction(tr("Copy &Message Text"), this, [text] { QApplication::clipboard()->setText(text); });
        const bool failedOwn = index.data(ConversationModel::IsOwnRole).toBool()
                               && index.data(ConversationModel::DeliveryStateRole).value<ConversationModel::DeliveryState>()
                                      == ConversationModel::DeliveryState::Failed;
        if (failedOwn) {
            const int row = index.row();
            menu->addAction(tr("&Send Again"), this, [this, row] { emit resendRequested(row); });
        }
    }
    menu->addSeparator();
    menu->addAction(tr("Select &All"), this, &QAbstractItemView::selectAll)->setShortcut(QKeySequence::SelectAll);
    menu->addAction(tr("Jump to &Latest"), this, &ConversationView::scrollToLatest);
    menu->popup(event->globalPos());
}

} // namespace Confab
