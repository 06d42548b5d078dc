// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "RawClient.h"

#include <QByteArrayView>
#include <QList>
#include <QStringList>

namespace fulcrum::test {

// "--backend URL,name=NAME[,weight=N]" for each backend, weights taken from `weights` when given.
QStringList backendArgs(const QList<const FakeBackend *> &backends, const QList<int> &weights = {});

// A request id the proxy generated: 32 lowercase hex digits.
bool isGeneratedRequestId(QByteArrayView id);

// The request with a chunked body cut into chunks of at most chunkSize bytes.
QByteArray chunkedRequest(QByteArrayView method, QByteArrayView target, QByteArrayView body,
                          qsizetype chunkSize = 64 * 1024);

} // namespace fulcrum::test
