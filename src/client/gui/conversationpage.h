// One tab's content: a header line saying what the conversation is (a room's topic, owner and
// members; the DM partner's presence) above the conversation's messages.
#pragma once

#include "conversationid.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
QT_END_NAMESPACE

namespace Confab {

class ConversationModel;
class ConversationView;

class ConversationPage : public QWidget
{
    Q_OBJECT
public:
    ConversationPage(const ConversationId &id, ConversationModel *model, QWidget *parent = nullptr);

    ConversationId conversationId() const { return m_id; }
    ConversationView *view() const { return m_view; }
    QLabel *headerLabel() const { return m_header; }

    // Plain text; a topic is never interpreted as markup.
    void setHeader(const QString &text, const QString &toolTip = {});

private:
    ConversationId m_id;
    QLabel *m_header;
    ConversationView *m_view;
};

} // namespace Confab
