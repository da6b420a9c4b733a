// SPDX-License-Identifier: Apache-2.0
#pragma once

// The database connection is engine-neutral now (bank/db/Db.h: PostgreSQL or SQLite); `PgConnection` and its
// companions are aliases of Db, DbResult, DbParams and DbTransaction there.
#include "bank/db/Db.h"
