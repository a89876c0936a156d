#include "messageinput.h"

#include <QAbstractTextDocumentLayout>
#include <QKeyEvent>
#include <QScrollBar>
#include <QTextBlock>
#include <QtMath>

namespace Confab {

namespace {
constexpr int MaxVisibleLines = 6;
}

MessageInput::MessageInput(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setTabChangesFocus(true);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setPlaceholderText(tr("Write a message"));
    setToolTip(tr("Enter sends, Shift+Enter starts a new line, Up and Down recall what you sent; "
                  "type /help for the commands"));
    connect(document()->documentLayout(), &QAbstractTextDocumentLayout::documentSizeChanged, this,
            &MessageInput::updateHeight);
    updateHeight();
}

void MessageInput::setText(const QString &text)
{
    setPlainText(text);
    moveCursor(QTextCursor::End);
}

void MessageInput::clearAfterSend(const QString &sentText)
{
    if (!sentText.trimmed().isEmpty() && (m_history.isEmpty() || m_history.constLast() != sentText)) {
        m_history.append(sentText);
        while (m_history.size() > m_maxHistory)
            m_history.removeFirst();
    }
    m_historyPos = -1;
    m_pending.clear();
    clear();
}

void MessageInput::setDraftKey(const QString &key)
{
    if (key == m_draftKey)
        return;
    if (!m_draftKey.isEmpty()) {
        const QString draft = m_historyPos >= 0 ? m_pending : toPlainText();
        if (draft.isEmpty())
            m_drafts.remove(m_draftKey);
        else
            m_drafts.insert(m_draftKey, draft);
    }
    m_draftKey = key;
    m_historyPos = -1;
    m_pending.clear();
    setText(m_drafts.take(key));
}

void MessageInput::keyPressEvent(QKeyEvent *event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && (event->modifiers() & Qt::ShiftModifier)) {
        textCursor().insertText(QStringLiteral("\n"));
        event->accept();
        return;
    }
    if (enter && !(event->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier))) {
        event->accept();
        const QString text = toPlainText();
        if (!text.trimmed().isEmpty())
            emit submitted(text);
        return;
    }
    const QTextCursor cursor = textCursor();
    if (event->key() == Qt::Key_Up && event->modifiers() == Qt::NoModifier
        && cursor.blockNumber() == 0 && cursor.block().layout()
        && cursor.block().layout()->lineForTextPosition(cursor.positionInBlock()).lineNumber() == 0) {
        walkHistory(-1);
        event->accept();
        return;
    }
    if (event->key() == Qt::Key_Down && event->modifiers() == Qt::NoModifier && m_historyPos >= 0
        && cursor.blockNumber() == document()->blockCount() - 1) {
        walkHistory(+1);
        event->accept();
        return;
    }
    if (event->key() == Qt::Key_Escape && m_historyPos >= 0) {
        m_historyPos = -1;
        setText(m_pending);
        event->accept();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

void MessageInput::walkHistory(int step)
{
    if (m_history.isEmpty())
        return;
    int pos = m_historyPos;
    if (step < 0) {
        if (pos == 0)
            return; // oldest reached
        if (pos < 0) {
            m_pending = toPlainText();
            pos = int(m_history.size());
        }
        --pos;
    } else {
        if (pos < 0)
            return;
        ++pos;
    }
    if (pos >= m_history.size()) {
        m_historyPos = -1;
        setText(m_pending);
        return;
    }
    m_historyPos = pos;
    setText(m_history.at(pos));
}

int MessageInput::heightForLines(int lines) const
{
    const QMargins margins = contentsMargins();
    const int frame = margins.top() + margins.bottom() + 2 * int(document()->documentMargin());
    return fontMetrics().lineSpacing() * lines + frame + 2;
}

void MessageInput::updateHeight()
{
    // A plain text document measures its height in lines as wrapped on screen.
    const int lines = qCeil(document()->documentLayout()->documentSize().height());
    const int height = heightForLines(qBound(1, lines, MaxVisibleLines));
    if (height != this->height()) {
        setFixedHeight(height);
        updateGeometry();
    }
}

QSize MessageInput::sizeHint() const
{
    return QSize(QPlainTextEdit::sizeHint().width(), heightForLines(1));
}

QSize MessageInput::minimumSizeHint() const
{
    return QSize(100, heightForLines(1));
}

} // namespace Confab
