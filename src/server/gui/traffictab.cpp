#include "traffictab.h"
#include "ui_traffictab.h"

#include "chatserver.h"
#include "tableexport.h"
#include "tableviewsetup.h"
#include "trafficfiltermodel.h"
#include "trafficmodel.h"
#include "adminformat.h"

#include <QDir>
#include <QFileDialog>
#include <QScrollBar>
#include <QStandardPaths>

namespace Confab {

TrafficTab::TrafficTab(ChatServer *server, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::TrafficTab>())
    , m_model(new TrafficModel(server, this))
    , m_filter(new TrafficFilterModel(this))
{
    m_ui->setupUi(this);
    m_filter->setSourceModel(m_model);
    QTableView *view = m_ui->trafficView;
    view->setModel(m_filter);
    setUpAdminTable(view, LastColumn::Natural);
    // Fixed column widths: a log of 50,000 rows that grows ten times a second is never measured.
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    const QFontMetrics fm = view->fontMetrics();
    auto width = [&fm](const QString &sample) { return fm.horizontalAdvance(sample) + 24; };
    QString longestType;
    m_ui->typeFilterCombo->addItem(tr("All message types"), 0);
    for (int t = 1; t <= int(LastMessageType); ++t) {
        const QString name = messageTypeName(MessageType(t));
        m_ui->typeFilterCombo->addItem(name, t);
        if (name.size() > longestType.size())
            longestType = name;
    }
    view->setColumnWidth(TrafficModel::TimeColumn, width(QStringLiteral("00:00:00.000")));
    view->setColumnWidth(TrafficModel::DirectionColumn, width(m_model->headerData(TrafficModel::DirectionColumn, Qt::Horizontal).toString()));
    view->setColumnWidth(TrafficModel::PeerColumn, width(QStringLiteral("255.255.255.255:65535")));
    view->setColumnWidth(TrafficModel::UserColumn, width(QStringLiteral("wwwwwwwwwwww")));
    view->setColumnWidth(TrafficModel::TransportColumn, width(m_model->headerData(TrafficModel::TransportColumn, Qt::Horizontal).toString()));
    view->setColumnWidth(TrafficModel::TypeColumn, width(longestType));
    view->setColumnWidth(TrafficModel::SizeColumn, width(m_model->headerData(TrafficModel::SizeColumn, Qt::Horizontal).toString()));

    m_ui->transportFilterCombo->addItem(tr("All transports"), QString());
    m_ui->transportFilterCombo->addItem(tr("TCP"), QStringLiteral("tcp"));
    m_ui->transportFilterCombo->addItem(tr("UDP"), QStringLiteral("udp"));

    connect(m_ui->userFilterEdit, &QLineEdit::textChanged, this, &TrafficTab::applyFilters);
    connect(m_ui->typeFilterCombo, &QComboBox::currentIndexChanged, this, &TrafficTab::applyFilters);
    connect(m_ui->transportFilterCombo, &QComboBox::currentIndexChanged, this, &TrafficTab::applyFilters);
    connect(m_ui->pauseButton, &QPushButton::toggled, this, &TrafficTab::setPaused);
    connect(m_ui->clearButton, &QPushButton::clicked, m_model, &TrafficModel::clear);
    connect(m_ui->exportButton, &QPushButton::clicked, this, &TrafficTab::chooseExportFile);
    connect(view->verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this](int value) { m_follow = value >= m_ui->trafficView->verticalScrollBar()->maximum(); });
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &TrafficTab::followNewRows);
    connect(m_model, &TrafficModel::totalLoggedChanged, this, &TrafficTab::updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &TrafficTab::updateCount);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, &TrafficTab::updateCount);
    updateCount();
}

TrafficTab::~TrafficTab() = default;

void TrafficTab::applyFilters()
{
    m_filter->setUserFilter(m_ui->userFilterEdit->text());
    m_filter->setTypeFilter(m_ui->typeFilterCombo->currentData().toInt());
    m_filter->setTransportFilter(m_ui->transportFilterCombo->currentData().toString());
    updateCount();
}

void TrafficTab::setPaused(bool paused)
{
    m_model->setRecording(!paused);
    m_ui->pauseButton->setText(paused ? tr("Resume") : tr("Pause"));
    updateCount();
}

void TrafficTab::followNewRows()
{
    if (m_follow)
        m_ui->trafficView->scrollToBottom();
}

void TrafficTab::updateCount()
{
    QString text = tr("%1 of %2 frames shown (the log keeps the newest %3); %4 logged in all")
                       .arg(AdminFormat::number(quint64(m_filter->rowCount())), AdminFormat::number(quint64(m_model->rowCount())),
                            AdminFormat::number(quint64(m_model->capacity())), AdminFormat::number(m_model->totalLogged()));
    if (!m_model->isRecording())
        text += tr(" — paused: new frames are not recorded");
    m_ui->trafficCountLabel->setText(text);
}

bool TrafficTab::exportTo(const QString &path, QString *error)
{
    m_model->flush();
    return writeCsvFile(m_filter, path, error);
}

void TrafficTab::chooseExportFile()
{
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString suggested = QDir(folder).filePath(
        QStringLiteral("confab-traffic-%1.csv").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
    auto *dialog = new QFileDialog(this, tr("Export traffic"), suggested, tr("CSV files (*.csv);;All files (*)"));
    dialog->setObjectName(QStringLiteral("exportDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("csv"));
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) {
        QString error;
        if (exportTo(path, &error))
            emit statusMessage(tr("Exported the frames shown to %1 (rows: %2).").arg(QDir::toNativeSeparators(path)).arg(m_filter->rowCount()));
        else
            emit statusMessage(tr("Export failed: %1").arg(error));
    });
    dialog->open();
}

} // namespace Confab
