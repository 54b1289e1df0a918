// Sealed values as the stores hold them (vault/key_ring.h), read by a key ring with fixed keys
// (fuzz_support.h): KeyIdOf, Open, and LoadDataKey (a wrapped data key is a sealed value too).
// Whatever the text, opening never returns anything but the plaintext sealed under that key and
// additional data; and sealing the input's bytes opens back to them.
//
// Input: the sealed value, a newline, then the additional data (also used as the key id when the
// value is loaded as a wrapped data key).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"
#include "fuzz_support.h"
#include "vault/key_ring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace vault = linkhub::vault;
  using linkhub::ErrorCode;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t newline = in.find('\n');
  std::string_view sealed = in.substr(0, newline);
  std::string_view aad = newline == std::string_view::npos ? "" : in.substr(newline + 1);

  // A fresh ring each time: LoadDataKey below changes it, and each input must stand alone.
  linkhub::SeededRandom random(size);
  auto ring = linkhub::fuzz::NewKeyRing(random);

  auto id = vault::KeyRing::KeyIdOf(sealed);
  if (id) {
    LINKHUB_CHECK(!id->empty() && sealed.starts_with("lh1:" + *id + ":"));
  } else {
    LINKHUB_CHECK(id.error().code == ErrorCode::kInvalidArgument);
  }

  auto opened = ring->Open(sealed, aad);
  if (opened) {
    LINKHUB_CHECK(id.has_value());
    // Authentic: sealing it again under the same additional data opens to the same bytes.
    auto again = ring->Seal(*opened, aad);
    LINKHUB_CHECK(again.has_value());
    auto reopened = ring->Open(*again, aad);
    LINKHUB_CHECK(reopened.has_value() && *reopened == *opened);
  } else {
    ErrorCode code = opened.error().code;
    LINKHUB_CHECK(code == ErrorCode::kInvalidArgument || code == ErrorCode::kFailedPrecondition ||
                  code == ErrorCode::kInternal);
    LINKHUB_CHECK(id.has_value() == (code != ErrorCode::kInvalidArgument));
  }

  // The input's bytes as a plaintext: they open back exactly, and only with their own
  // additional data.
  auto own = ring->Seal(in, aad);
  LINKHUB_CHECK(own.has_value());
  auto own_opened = ring->Open(*own, aad);
  LINKHUB_CHECK(own_opened.has_value() && *own_opened == in);
  LINKHUB_CHECK(!ring->Open(*own, std::string(aad) + "x").has_value());

  // The value as a data key wrapped under the master key, named by the additional data.
  auto loaded =
      ring->LoadDataKey(vault::WrappedDataKey{std::string(aad), std::string(sealed)}, false);
  if (!loaded) {
    LINKHUB_CHECK(loaded.error().code == ErrorCode::kPermissionDenied);
  }
  return 0;
}
