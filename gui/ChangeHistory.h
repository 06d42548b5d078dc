// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QString>

namespace fulcrum::console {

// One change the operator asked for from the console.
struct Change
{
    enum class Kind
    {
        Weight, // to: the new weight
        State,  // to: "up", "drain" or "maintenance"
        Added,  // to: the URL
    };
    Kind kind = Kind::Weight;
    QString backend;
    QString to;
    QString from;   // filled in when the source confirms the change: the value it replaced
    int weight = 1; // of an added backend

    // "weight of alpha 5 → 10"
    QString describe() const;
};

// The operator's own changes, for Undo (Ctrl+Z). A change is remembered only once the source reports
// it made it (its event), with the value it replaced: a refused change is never "undone", and undo
// restores what really was there, even when the table was a tick behind. Undoing goes through the
// source like any operation and is not itself remembered.
class ChangeHistory final : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxChanges = 100;
    // An asked-for change not confirmed within this time was refused or overtaken.
    static constexpr qint64 kConfirmWithinMs = 30'000;

    explicit ChangeHistory(ConsoleSource *source, QObject *parent = nullptr);

    // Asks the source to make the change, and waits for its confirmation.
    void apply(const Change &change);
    // Reverts the newest confirmed change; false when there is none.
    bool undo();
    bool canUndo() const { return !m_done.isEmpty(); }
    // What Ctrl+Z would undo; empty when nothing.
    QString undoText() const;
    qsizetype size() const { return m_done.size(); }

Q_SIGNALS:
    void changed();

private:
    struct Pending
    {
        Change change;
        qint64 askedAtMs = 0;
    };

    void onEvent(const ConsoleEvent &event);
    // Whether the event reports this asked-for change.
    static bool confirms(const ConsoleEvent &event, const Change &change);

    ConsoleSource *m_source;
    QElapsedTimer m_clock;
    QList<Pending> m_pending;
    QList<Change> m_done; // newest last
};

} // namespace fulcrum::console
