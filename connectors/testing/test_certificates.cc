#include "connectors/testing/test_certificates.h"

#include <atomic>
#include <ctime>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace strata::testing {
namespace {

struct Free {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509* cert) const { X509_free(cert); }
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;

struct Signer {
  X509* cert;  // null: self-signed
  EVP_PKEY* key;
};

// Serial numbers differ between every certificate this process makes.
long NextSerial() {
  static std::atomic<long> next{static_cast<long>(std::time(nullptr)) * 1000};
  return next++;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A certificate for `key` named `common_name` with `extensions`, signed by `signer`.
Cert MakeCertificate(EVP_PKEY* key, const std::string& common_name, Signer signer,
                     const std::vector<std::pair<int, const char*>>& extensions) {
  Cert cert(X509_new());
  if (cert == nullptr) return nullptr;
  X509* issuer = signer.cert != nullptr ? signer.cert : cert.get();
  X509_NAME* subject = X509_get_subject_name(cert.get());
  bool ok = X509_set_version(cert.get(), 2) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), NextSerial()) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr &&
            X509_set_pubkey(cert.get(), key) == 1 &&
            X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                       -1, -1, 0) == 1 &&
            X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) == 1;
  for (const auto& [nid, value] : extensions) {
    ok = ok && AddExtension(cert.get(), issuer, nid, value);
  }
  ok = ok && X509_sign(cert.get(), signer.key, EVP_sha256()) > 0;
  return ok ? std::move(cert) : nullptr;
}

std::string MemoryText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string CertPem(X509* cert) {
  std::unique_ptr<BIO, Free> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return MemoryText(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, Free> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return MemoryText(bio.get());
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

Result<TestCertificates> TestCertificates::Make(const std::string& dir, const std::string& name) {
  Key ca_key(EVP_EC_gen("P-256"));
  Key server_key(EVP_EC_gen("P-256"));
  Key client_key(EVP_EC_gen("P-256"));
  if (!ca_key || !server_key || !client_key) return Status::Internal("EC key generation failed");
  Cert ca = MakeCertificate(ca_key.get(), name + " test CA", {nullptr, ca_key.get()},
                            {{NID_basic_constraints, "critical,CA:TRUE"},
                             {NID_key_usage, "critical,keyCertSign,cRLSign"},
                             {NID_subject_key_identifier, "hash"}});
  if (!ca) return Status::Internal("cannot make the test CA certificate");
  Signer by_ca{ca.get(), ca_key.get()};
  Cert server = MakeCertificate(server_key.get(), "localhost", by_ca,
                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                 {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                 {NID_ext_key_usage, "serverAuth"},
                                 {NID_authority_key_identifier, "keyid"}});
  Cert client = MakeCertificate(client_key.get(), name + " test client", by_ca,
                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                 {NID_ext_key_usage, "clientAuth"},
                                 {NID_authority_key_identifier, "keyid"}});
  if (!server || !client) return Status::Internal("cannot make the test leaf certificates");

  TestCertificates out{.ca_pem = CertPem(ca.get()),
                       .server_cert_pem = CertPem(server.get()),
                       .server_key_pem = KeyPem(server_key.get()),
                       .client_cert_pem = CertPem(client.get()),
                       .client_key_pem = KeyPem(client_key.get())};
  const struct {
    const std::string& pem;
    std::string& file;
    const char* suffix;
  } outputs[] = {{out.ca_pem, out.ca_file, "ca"},
                 {out.server_cert_pem, out.server_cert_file, "server-cert"},
                 {out.server_key_pem, out.server_key_file, "server-key"},
                 {out.client_cert_pem, out.client_cert_file, "client-cert"},
                 {out.client_key_pem, out.client_key_file, "client-key"}};
  for (const auto& output : outputs) {
    output.file = dir + "/" + name + "-" + output.suffix + ".pem";
    if (!WriteFile(output.file, output.pem)) return Status::Internal("cannot write " + output.file);
  }
  return out;
}

}  // namespace strata::testing
