#include "conversationpage.h"

#include "conversationview.h"

#include <QLabel>
#include <QVBoxLayout>

namespace Confab {

ConversationPage::ConversationPage(const ConversationId &id, ConversationModel *model, QWidget *parent)
    : QWidget(parent)
    , m_id(id)
    , m_header(new QLabel(this))
    , m_view(new ConversationView(this))
{
    setObjectName(QStringLiteral("conversationPage_") + id.key());
    m_header->setObjectName(QStringLiteral("conversationHeader"));
    m_header->setTextFormat(Qt::PlainText);
    m_header->setWordWrap(false);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_header->setContentsMargins(8, 4, 8, 4);
    m_header->setMinimumWidth(50);
    m_header->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_view->setObjectName(QStringLiteral("conversationView"));
    m_view->setConversation(model, id.kind);
    m_view->setFrameShape(QFrame::NoFrame);

    auto *line = new QFrame(this);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_header);
    layout->addWidget(line);
    layout->addWidget(m_view, 1);
}

void ConversationPage::setHeader(const QString &text, const QString &toolTip)
{
    m_header->setText(text);
    m_header->setToolTip(toolTip.isEmpty() ? QString() : QStringLiteral("<p>%1</p>").arg(toolTip.toHtmlEscaped()));
}

} // namespace Confab
