// The messages of one conversation: a QListView over its ConversationModel, drawn by
// MessageDelegate.
//
// It follows new messages only while it is scrolled to the bottom; someone reading older messages
// stays where they are. Rows can be selected and copied (Ctrl+C, or the context menu), and one's
// own failed messages can be sent again from the context menu.
#pragma once

#include "conversationid.h"

#include <QListView>

namespace Confab {

class ConversationModel;
class MessageDelegate;

class ConversationView : public QListView
{
    Q_OBJECT
public:
    explicit ConversationView(QWidget *parent = nullptr);

    void setConversation(ConversationModel *model, ConversationKind kind);
    ConversationModel *conversationModel() const { return m_model; }
    MessageDelegate *messageDelegate() const { return m_delegate; }

    // Whether new rows scroll into view (the view was at the bottom when they came).
    bool followsNewMessages() const { return m_follow; }
    bool isAtBottom() const;
    void scrollToLatest();

    // The selected rows as text, "[time] sender: text" per line.
    QString selectedText() const;

signals:
    void resendRequested(int row);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    void copySelection();
    void onRangeChanged(int min, int max);
    void onValueChanged(int value);

    ConversationModel *m_model = nullptr;
    MessageDelegate *m_delegate;
    bool m_follow = true;
    bool m_adjusting = false; // our own setValue(), not the user's scrolling
};

} // namespace Confab
