#pragma once

// The accounts table's columns as the SQLite account and exchange stores read and write them
// (internal to the store module).

#include <string>
#include <string_view>
#include <vector>

#include "domain/account.h"
#include "store/sqlite_db.h"

namespace linkhub::store::internal {

// Every column of `accounts`, in the order ReadAccount and BindAccount use.
inline constexpr std::string_view kAccountColumns =
    "id, project_id, provider, origin_owner_id, origin_owner_name, origin_username, label, "
    "status, status_reasons_json, type, environment, products_json, institution_id, "
    "institution_name, accounts_json, details_pending, access_token_sealed, item_id_sealed, "
    "item_id_hash, connect_session_id, created_at, updated_at, deleted_at";

// An account from a row selected with kAccountColumns. A status spelling the domain does not
// know (a newer linkhub's) reads as kError, so nothing runs on the account unexamined.
domain::LinkedAccount ReadAccount(const Statement& s);
// Binds parameters 1..22 of an INSERT over kAccountColumns (deleted_at is left to the SQL).
void BindAccount(Statement& ins, const domain::LinkedAccount& a);

std::string ReasonsToJson(const std::vector<domain::StatusReason>& reasons);

}  // namespace linkhub::store::internal
