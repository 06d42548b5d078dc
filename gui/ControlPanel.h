// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QGroupBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace fulcrum::console {

// The side panel: the selected backend's weight on a slider (with a box for exact values), and the
// rate of the demo traffic when the source has any.
class ControlPanel final : public QWidget
{
    Q_OBJECT
public:
    // The slider covers the weights operators use most; the box reaches the configuration's maximum.
    static constexpr int kSliderMaxWeight = 100;
    static constexpr int kMaxWeight = 1000;

    explicit ControlPanel(QWidget *parent = nullptr);

    // The backend the weight controls act on; empty disables them.
    void showBackend(const QString &name, int weight);
    // Follows the table unless the operator is busy with the controls.
    void updateWeight(int weight);
    QString backend() const { return m_backend; }
    // -1 hides the demo traffic controls.
    void showDemoRate(int rate);

    QSlider *weightSlider() const { return m_weightSlider; }
    QSpinBox *weightBox() const { return m_weightBox; }
    QSlider *rateSlider() const { return m_rateSlider; }

Q_SIGNALS:
    void weightRequested(const QString &backend, int weight);
    void rateRequested(int rate);

private:
    void setWeightQuietly(int weight);
    void requestWeight(int weight);

    QString m_backend;
    int m_shownWeight = 0;
    QLabel *m_backendLabel;
    QSlider *m_weightSlider;
    QSpinBox *m_weightBox;
    QGroupBox *m_demoGroup;
    QSlider *m_rateSlider;
    QLabel *m_rateLabel;
};

} // namespace fulcrum::console
