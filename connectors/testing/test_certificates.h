#pragma once
// Throwaway certificates for TLS tests: a CA, and signed by it a server certificate (valid for
// localhost and 127.0.0.1) and a client certificate. Made with OpenSSL (EC P-256, valid for a
// day from an hour ago) and written as PEM files into a directory.
// Thread-compatibility: a plain value.

#include <string>

#include "strata/status.h"

namespace strata::testing {

struct TestCertificates {
  // PEM text of each, and the file that holds it (in the directory given to Make).
  std::string ca_pem, ca_file;
  std::string server_cert_pem, server_cert_file;
  std::string server_key_pem, server_key_file;
  std::string client_cert_pem, client_cert_file;
  std::string client_key_pem, client_key_file;

  // Makes a fresh set into `dir` (which must exist), the files named `<name>-ca.pem`,
  // `<name>-server-cert.pem`, ... kInternal when OpenSSL or a file write fails.
  static Result<TestCertificates> Make(const std::string& dir, const std::string& name);
};

}  // namespace strata::testing
