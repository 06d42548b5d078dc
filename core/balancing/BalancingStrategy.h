// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Backend.h"
#include "http/HttpMessage.h"

#include <QByteArrayView>

#include <memory>
#include <vector>

namespace fulcrum {

// What a strategy may look at when it picks for one request.
struct PickContext
{
    QByteArrayView clientAddress;         // textual, as in X-Forwarded-For
    const RequestHead *request = nullptr; // for header, cookie and path hash keys
};

// One backend of the rotation as a strategy sees it: the backends that are up with an effective
// weight above zero, in table order.
struct RotationEntry
{
    qsizetype tableIndex = -1;
    int weight = 1; // effective weight, 1..1000
    const std::atomic<int> *inFlight = nullptr;
    QString name; // the backend's configured name: consistent hashing places it by name, not position
};

// Chooses a backend for each request. Built once per backend table on the control thread and shared
// by every worker, so pick() is const and thread-safe: what it changes is atomic and lock-free.
class BalancingStrategy
{
public:
    virtual ~BalancingStrategy() = default;
    // A table index from the rotation, or -1 when the rotation is empty.
    virtual qsizetype pick(const PickContext &context) const = 0;
};

std::unique_ptr<const BalancingStrategy> makeStrategy(const BalancingConfig &config,
                                                      std::vector<RotationEntry> rotation);

} // namespace fulcrum
