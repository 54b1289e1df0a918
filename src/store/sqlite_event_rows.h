#pragma once

// Writing an event into the outbox, for every SQLite store whose changes the customer hears of
// (accounts, exchanges, Plaid's webhooks): the one place that makes an event's payload and
// hands it to the project's endpoints (internal to the store module).

#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "domain/event.h"
#include "store/sqlite_db.h"

namespace linkhub::store::internal {

// The account as stored, deleted or not. kNotFound. REQUIRES: db's lock held.
Result<domain::LinkedAccount> ReadAnyAccount(SqliteDb& db, const std::string& project_id,
                                             const std::string& account_id);

// Whether the customer would see a difference between two states of an account: its status,
// reasons, owner or label.
bool VisiblyDifferent(const domain::LinkedAccount& before, const domain::LinkedAccount& after);

// The flat JSON body of an event about `account` (everything but sent_at).
std::string EventPayloadJson(const domain::LinkedAccount& account, domain::EventType type,
                             const std::string& event_id, TimePoint at);

// Writes an event about the account as it is now in the database, and one delivery of it to
// each of the project's endpoints subscribed to its type. REQUIRES: inside the Transaction of
// the change it reports, so that neither is kept without the other.
Status RecordAccountEvent(SqliteDb& db, domain::EventType type, const std::string& project_id,
                          const std::string& account_id, TimePoint now);

// RecordAccountEvent about an account as just read in the same transaction.
Status RecordEventAbout(SqliteDb& db, domain::EventType type, const domain::LinkedAccount& account,
                        TimePoint now);

// RecordAccountEvent(kAccountUpdated) when the account now differs visibly from `before`.
Status RecordAccountUpdateIfVisible(SqliteDb& db, const domain::LinkedAccount& before,
                                    TimePoint now);

}  // namespace linkhub::store::internal
