/* storage/: the per-user SQLite database (db.h) and its tables (history.h).
 * The one header other folders include. */
#ifndef SIGHTLINE_STORAGE_H
#define SIGHTLINE_STORAGE_H

#include "storage/db.h"
#include "storage/history.h"
#include "storage/meeting.h"
#include "storage/memory.h"
#include "storage/profile.h"
#include "storage/feedback.h"
#include "storage/transfer.h"
#include "storage/signs.h"
#include "storage/objects.h"

#endif
