// The name-resolution check the restart tests of resilience_test.cpp run on their own server
// (defined in name_resolution_test.cpp, built with PostgreSQL or MariaDB).
#pragma once

#include "service_instance.hpp"
#include "sql_helpers.hpp"

namespace cacheme::test::sql {

/// The server stops, and its name is pointed elsewhere (the resolver's test hook): a storage
/// reaching it by name has the name looked up again in the background (its loop never waits),
/// connects to the new address once the server is back (nothing there), and comes back to the
/// server once the name points at it again. `server` runs, and runs again on return.
void follow_the_name(ServiceInstance& server, Backend backend);

}  // namespace cacheme::test::sql
