// The input line: Enter sends, Shift+Enter starts a new line, Up and Down walk through what was
// sent before (from the first or last line of the text), Escape returns to the text being written.
//
// It grows with its text up to a few lines. It keeps a draft per conversation (setDraftKey), so
// switching tabs does not lose half-written text; it never clears itself: whoever handles
// submitted() calls clearAfterSend() once the text was used.
#pragma once

#include <QHash>
#include <QPlainTextEdit>
#include <QStringList>

namespace Confab {

class MessageInput : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit MessageInput(QWidget *parent = nullptr);

    QString text() const { return toPlainText(); }
    void setText(const QString &text);

    // Empties the input and records the text in the history.
    void clearAfterSend(const QString &sentText);

    QStringList history() const { return m_history; }
    void setMaximumHistory(int entries) { m_maxHistory = qMax(1, entries); }

    // Saves the current text under the previous key and shows the draft saved under this one.
    void setDraftKey(const QString &key);
    QString draftKey() const { return m_draftKey; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    // Enter was pressed on non-empty text.
    void submitted(const QString &text);

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    void walkHistory(int step);
    void updateHeight();
    int heightForLines(int lines) const;

    QStringList m_history;   // oldest first
    int m_historyPos = -1;   // -1: editing the draft, else an index into m_history
    QString m_pending;       // the text being written before walking the history
    int m_maxHistory = 200;
    QHash<QString, QString> m_drafts;
    QString m_draftKey;
};

} // namespace Confab
