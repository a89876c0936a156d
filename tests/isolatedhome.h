// Every test program that includes this runs with its own empty home directory: HOME and the XDG
// data, config and cache homes point into a temporary directory made before main() and removed at
// exit, and child processes (confab-cli, confab-server) inherit them. Nothing a test writes through
// QStandardPaths (known_servers pins, QSettings, also in Qt's test mode, which lives under HOME)
// outlives the run, and nothing from the user's files or an earlier run leaks in: a pin left for a
// port that a later test server happens to get would turn that test's client to TLS or DTLS.
#pragma once

#include <QByteArray>
#include <QTemporaryDir>

namespace ConfabTest {

struct IsolatedHome {
    QTemporaryDir dir;
    IsolatedHome()
    {
        if (!dir.isValid())
            qFatal("cannot make a temporary home directory for the tests");
        const QByteArray home = dir.path().toLocal8Bit();
        qputenv("HOME", home);
        qputenv("XDG_DATA_HOME", home + "/.local/share");
        qputenv("XDG_CONFIG_HOME", home + "/.config");
        qputenv("XDG_CACHE_HOME", home + "/.cache");
    }
};

inline IsolatedHome isolatedHome;

} // namespace ConfabTest
