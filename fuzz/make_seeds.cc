// Writes the seeds that only the fuzzers' fixed keys can make: sealed values (for
// fuzz_sealed_value) and signed Plaid webhooks (for fuzz_plaid_webhook), in their fuzzers' input
// formats. The other corpora are plain text written by hand.
//
// Usage: make_seeds CORPUS_DIR    writes CORPUS_DIR/sealed_value/* and CORPUS_DIR/plaid_webhook/*
//        make_seeds --new-data-keys  prints two fresh data keys wrapped under the master key, for
//                                    fuzz_support.cc (seeds must then be made again)

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/random.h"
#include "fuzz_support.h"
#include "vault/hashing.h"
#include "vault/key_ring.h"

namespace linkhub::fuzz {
namespace {

void Write(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  LINKHUB_CHECK(out.good());
}

int NewDataKeys() {
  SecureRandom random;
  auto ring = vault::KeyRing::Create(MasterKey(), random);
  LINKHUB_CHECK(ring.has_value());
  for (int i = 0; i < 2; ++i) {
    auto key = (*ring)->NewDataKey();
    LINKHUB_CHECK(key.has_value());
    std::printf("      {\"%s\", \"%s\"},\n", key->key_id.c_str(), key->wrapped.c_str());
  }
  return 0;
}

// fuzz_sealed_value's input: the sealed value, a newline, then the additional data (which is
// also the key id when the value is read as a wrapped data key).
void SealedSeeds(const std::filesystem::path& dir) {
  SecureRandom random;
  auto ring = NewKeyRing(random);
  auto seal = [&](std::string_view plaintext, const std::string& aad) {
    auto sealed = ring->Seal(plaintext, aad);
    LINKHUB_CHECK(sealed.has_value());
    return *sealed + "\n" + aad;
  };
  std::string token_aad = vault::RowAad("proj_4fJ2aKq0", "acc_9cXw1mZ3", "access_token");
  Write(dir / "access_token.txt", seal("fuzz-seed-token-plaintext-0123456789", token_aad));
  Write(dir / "item_id.txt", seal("eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6",
                                  vault::RowAad("proj_4fJ2aKq0", "acc_9cXw1mZ3", "item_id")));
  Write(dir / "empty_plaintext.txt", seal("", vault::RowAad("p", "r", "f")));
  Write(dir / "long_plaintext.txt", seal(std::string(300, 'x'), token_aad));
  // Sealed for one row, presented with another's additional data: fails authentication.
  auto moved = ring->Seal("fuzz-seed-moved", token_aad);
  LINKHUB_CHECK(moved.has_value());
  Write(dir / "other_row.txt",
        *moved + "\n" + vault::RowAad("proj_4fJ2aKq0", "acc_other", "access_token"));
  // Under the second (inactive) data key.
  LINKHUB_CHECK(ring->LoadDataKey(DataKeys()[1], true).has_value());
  Write(dir / "second_key.txt", seal("fuzz-seed-rotated", token_aad));
  // A wrapped data key as stored: its id in the additional data's place.
  Write(dir / "wrapped_data_key.txt", DataKeys()[0].wrapped + "\n" + DataKeys()[0].key_id);
}

// fuzz_plaid_webhook's input: the Plaid-Verification header, a newline, then the body; or
// "sign\n" JOSE "\n" CLAIMS "\n" BODY for the fuzzer to sign itself (with $BODY_SHA256 in CLAIMS
// standing for the body's hash).
void WebhookSeeds(const std::filesystem::path& dir) {
  auto iat = std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  auto signed_webhook = [&](std::string_view kid, std::string_view body, int64_t at) {
    std::string jose = R"({"alg":"ES256","kid":")" + std::string(kid) + R"(","typ":"JWT"})";
    std::string claims = R"({"iat":)" + std::to_string(at) + R"(,"request_body_sha256":")" +
                         vault::Sha256Hex(body) + R"("})";
    return SignJwt(jose, claims) + "\n" + std::string(body);
  };
  std::string sync =
      R"({"webhook_type":"TRANSACTIONS","webhook_code":"SYNC_UPDATES_AVAILABLE",)"
      R"("item_id":"eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6","initial_update_complete":true,)"
      R"("historical_update_complete":false,"environment":"production"})";
  std::string error =
      R"({"webhook_type":"ITEM","webhook_code":"ERROR","item_id":"wz666MBjYWTp2PDzzggYhM6oWWmBb",)"
      R"("error":{"display_message":null,"error_code":"ITEM_LOGIN_REQUIRED",)"
      R"("error_message":"the login details of this item have changed","error_type":"ITEM_ERROR",)"
      R"("status":400},"environment":"production"})";
  std::string expiring =
      R"({"webhook_type":"ITEM","webhook_code":"PENDING_EXPIRATION","item_id":"wz666MBjYW",)"
      R"("consent_expiration_time":"2026-01-08T00:00:00Z","environment":"production"})";
  Write(dir / "sync_updates.txt", signed_webhook(kWebhookKid, sync, iat));
  Write(dir / "item_error.txt", signed_webhook(kWebhookKid, error, iat));
  Write(dir / "pending_expiration.txt", signed_webhook(kWebhookKid, expiring, iat - 120));
  Write(dir / "stale_iat.txt", signed_webhook(kWebhookKid, sync, iat - 3600));
  Write(dir / "unknown_kid.txt", signed_webhook("6c5516e1-92dc-479e-a8ff-5a51992e0001", sync, iat));
  // Signed correctly, but for another body.
  std::string other = signed_webhook(kWebhookKid, sync, iat);
  Write(dir / "other_body.txt", other.substr(0, other.find('\n') + 1) + error);
  Write(dir / "alg_none.txt",
        "eyJhbGciOiJub25lIiwia2lkIjoiZnV6ei13ZWJob29rLWtleSJ9.eyJpYXQiOjF9.\n" + sync);
  std::string jose = R"({"alg":"ES256","kid":"fuzz-webhook-key","typ":"JWT"})";
  Write(dir / "sign_sync.txt", "sign\n" + jose + "\n" + R"({"iat":)" + std::to_string(iat) +
                                   R"(,"request_body_sha256":"$BODY_SHA256"})" + "\n" + sync);
  Write(dir / "sign_expired_key.txt",
        "sign\n"
        R"({"alg":"ES256","kid":"fuzz-expired-key","typ":"JWT"})"
        "\n"
        R"({"iat":)" +
            std::to_string(iat) + R"(,"request_body_sha256":"$BODY_SHA256"})" + "\n" + error);
  Write(dir / "sign_iat_float.txt", "sign\n" + jose + "\n" + R"({"iat":)" + std::to_string(iat) +
                                        R"(.0,"request_body_sha256":"$BODY_SHA256"})" + "\n" +
                                        expiring);
}

}  // namespace
}  // namespace linkhub::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR | --new-data-keys\n");
    return 2;
  }
  std::string_view arg = argv[1];
  if (arg == "--new-data-keys") {
    return linkhub::fuzz::NewDataKeys();
  }
  std::filesystem::path root(arg);
  linkhub::fuzz::SealedSeeds(root / "sealed_value");
  linkhub::fuzz::WebhookSeeds(root / "plaid_webhook");
  return 0;
}
