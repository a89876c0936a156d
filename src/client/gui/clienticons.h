// The client's small icons, drawn in code so they follow the palette and need no image files;
// the application icon comes from the resources (resources/icons/confab.svg).
#pragma once

#include <QIcon>

namespace Confab::ClientIcons {

QIcon application();
// A presence dot: green for online users, blue-ringed for oneself.
QIcon online(bool self = false);
QIcon lobby();
// `onHighlight`: drawn white, for a selected row.
QIcon room(bool joined = true, bool onHighlight = false);
QIcon dm();
// A direct (peer-to-peer) chat.
QIcon peer();

} // namespace Confab::ClientIcons

// Registers the client's compiled-in resources (needed once, since they live in a static library).
void confabInitClientResources();
