// SPDX-License-Identifier: GPL-3.0-or-later
#include "ControlPanel.h"

#include "TrafficGenerator.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

ControlPanel::ControlPanel(QWidget *parent)
    : QWidget(parent), m_backendLabel(new QLabel), m_weightSlider(new QSlider(Qt::Horizontal)),
      m_weightBox(new QSpinBox), m_demoGroup(new QGroupBox(u"Demo traffic"_s)),
      m_rateSlider(new QSlider(Qt::Horizontal)), m_rateLabel(new QLabel)
{
    m_weightSlider->setRange(0, kSliderMaxWeight);
    m_weightSlider->setPageStep(5);
    m_weightSlider->setToolTip(u"Weight of the selected backend; applied when the slider is released"_s);
    m_weightBox->setRange(0, kMaxWeight);
    m_weightBox->setKeyboardTracking(false); // one change per edit, not one per digit typed
    m_rateSlider->setRange(0, TrafficGenerator::kMaxRate);
    m_rateSlider->setSingleStep(10);
    m_rateSlider->setPageStep(100);

    auto *weightGroup = new QGroupBox(u"Weight"_s);
    auto *weightRow = new QHBoxLayout;
    weightRow->addWidget(m_weightSlider, 1);
    weightRow->addWidget(m_weightBox);
    auto *weightLayout = new QVBoxLayout(weightGroup);
    weightLayout->addWidget(m_backendLabel);
    weightLayout->addLayout(weightRow);

    auto *rateLayout = new QVBoxLayout(m_demoGroup);
    rateLayout->addWidget(m_rateSlider);
    rateLayout->addWidget(m_rateLabel);

    // Narrow, so that the table keeps its columns.
    setMaximumWidth(190);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(weightGroup);
    layout->addWidget(m_demoGroup);
    layout->addStretch(1);

    connect(m_weightSlider, &QSlider::valueChanged, this, [this](int weight) {
        if (m_weightSlider->isSliderDown())
            m_weightBox->setValue(weight); // shows where the drag is; sent on release
        else
            requestWeight(weight); // keys and clicks on the groove
    });
    connect(m_weightSlider, &QSlider::sliderReleased, this,
            [this] { requestWeight(m_weightSlider->value()); });
    connect(m_weightBox, &QSpinBox::valueChanged, this, [this](int weight) {
        if (!m_weightSlider->isSliderDown())
            requestWeight(weight);
    });
    connect(m_rateSlider, &QSlider::valueChanged, this, [this](int rate) {
        m_rateLabel->setText(u"%1 requests/s"_s.arg(rate));
        Q_EMIT rateRequested(rate);
    });
    showBackend(QString(), 0);
    showDemoRate(-1);
}

void ControlPanel::showBackend(const QString &name, int weight)
{
    m_backend = name;
    m_backendLabel->setText(name.isEmpty() ? u"Select a backend"_s : name);
    m_weightSlider->setEnabled(!name.isEmpty());
    m_weightBox->setEnabled(!name.isEmpty());
    setWeightQuietly(weight);
}

void ControlPanel::updateWeight(int weight)
{
    if (!m_weightSlider->isSliderDown() && !m_weightBox->hasFocus())
        setWeightQuietly(weight);
}

void ControlPanel::showDemoRate(int rate)
{
    m_demoGroup->setVisible(rate >= 0);
    if (rate < 0)
        return;
    const QSignalBlocker quiet(m_rateSlider);
    m_rateSlider->setValue(rate);
    m_rateLabel->setText(u"%1 requests/s"_s.arg(rate));
}

void ControlPanel::setWeightQuietly(int weight)
{
    m_shownWeight = weight;
    const QSignalBlocker quietSlider(m_weightSlider);
    const QSignalBlocker quietBox(m_weightBox);
    m_weightSlider->setValue(std::min(weight, kSliderMaxWeight));
    m_weightBox->setValue(weight);
}

void ControlPanel::requestWeight(int weight)
{
    if (m_backend.isEmpty() || weight == m_shownWeight)
        return;
    m_shownWeight = weight;
    m_weightBox->setValue(weight);
    Q_EMIT weightRequested(m_backend, weight);
}

} // namespace fulcrum::console
