// SPDX-License-Identifier: GPL-3.0-or-later
// Linked into every fuzz target: the one-time set-up libFuzzer calls before the first input.
#include <QCoreApplication>

// The parsers and the JSON readers use QString and friends, which want an application object for their
// codecs and locale: one per process, alive until the process ends, so no leak is reported.
extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    static int argc = 1;
    static char name[] = "fulcrum-fuzz";
    static char *argv[] = {name, nullptr};
    static QCoreApplication application(argc, argv);
    return 0;
}
