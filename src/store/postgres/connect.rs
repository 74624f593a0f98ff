//! Reaching the centre's server: a `postgresql://` URL, its `sslmode` honoured as libpq does.
//!
//! rust-postgres knows `disable`, `prefer` and `require` and verifies nothing by itself; libpq's
//! `verify-ca` and `verify-full` (the one to use in production: the server's certificate signed
//! by the expected authority *and* naming the host) are done here with OpenSSL, already built
//! into the program for SQLCipher. `sslrootcert` names the authority's certificate; without it,
//! `~/.postgresql/root.crt` as libpq, else the system's authorities.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::X509VerifyResult;
use postgres_openssl::MakeTlsConnector;

use crate::store::error::{CertificateProblem, StoreError, StoreResult, Unreachable, server_detail};

/// How long a connection waits for the server to answer when the URL does not say
/// (`connect_timeout`): libpq waits for ever, a desk should say within seconds that the
/// server does not answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a `--db` names a server rather than a file.
pub fn is_server_url(db: &str) -> bool {
    db.starts_with("postgresql://") || db.starts_with("postgres://")
}

/// How much of TLS is required of the server, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS if the server offers it, unverified (libpq's default).
    Prefer,
    /// TLS, unverified.
    Require,
    /// TLS, the certificate signed by a trusted authority.
    VerifyCa,
    /// TLS, the certificate signed by a trusted authority and naming the host.
    VerifyFull,
}

/// A parsed server URL: rust-postgres's configuration, and what it does not know of TLS.
#[derive(Clone)]
pub struct ServerUrl {
    config: ::postgres::Config,
    pub ssl_mode: SslMode,
    root_cert: Option<PathBuf>,
}

impl std::fmt::Debug for ServerUrl {
    /// Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerUrl")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .field("ssl_mode", &self.ssl_mode)
            .finish()
    }
}

impl ServerUrl {
    pub fn parse(url: &str) -> StoreResult<ServerUrl> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "sslmode" => {
                    ssl_mode = match value {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" => SslMode::VerifyCa,
                        "verify-full" => SslMode::VerifyFull,
                        other => return Err(StoreError::Invalid(format!("unknown sslmode {other:?}"))),
                    }
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value))),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        let mut config = ::postgres::Config::from_str(&rest)
            .map_err(|e| StoreError::Invalid(format!("the server address is not understood: {e}")))?;
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => ::postgres::config::SslMode::Disable,
            SslMode::Prefer => ::postgres::config::SslMode::Prefer,
            _ => ::postgres::config::SslMode::Require,
        });
        config.application_name("permanence");
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        Ok(ServerUrl { config, ssl_mode, root_cert })
    }

    /// The same server, another database (the tests make one per test).
    pub fn with_dbname(&self, name: &str) -> ServerUrl {
        let mut other = self.clone();
        other.config.dbname(name);
        other
    }

    pub fn dbname(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// The server as a person reads it, without the password: `postgresql://user@host:port/db`.
    /// Also what names the server's local state (`paths::local_anchor`): the same for the
    /// same database whatever password or TLS options the URL carries.
    pub fn redacted(&self) -> String {
        use ::postgres::config::Host;
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .zip(self.config.get_ports().iter().chain(std::iter::repeat(&5432)))
            .map(|(host, port)| match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}:{port}", path.display()),
            })
            .collect();
        let user = self.config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
        format!("postgresql://{user}{}/{}", hosts.join(","), self.dbname().unwrap_or_default())
    }

    /// Connects, with TLS as `sslmode` asks. Each way it can fail is its own error: nothing
    /// answering (refused, no answer in time, an unknown host name), the password refused, the
    /// certificate refused (and why), no TLS where it is required or TLS where it is not
    /// offered, a connection the server's rules do not admit, no such database.
    pub fn connect(&self) -> StoreResult<::postgres::Client> {
        let refusal = Arc::new(Mutex::new(None));
        let tls = self.tls(Arc::clone(&refusal))?;
        self.config.connect(tls).map_err(|err| {
            let refused = *refusal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            self.connect_error(err, refused)
        })
    }

    /// What a failure to connect was, said for the person who typed the URL.
    fn connect_error(&self, err: ::postgres::Error, certificate: Option<X509VerifyResult>) -> StoreError {
        use ::postgres::error::SqlState;
        let server = self.redacted();
        if let Some(db) = err.as_db_error() {
            let said = server_detail(&err);
            return match db.code() {
                code if *code == SqlState::INVALID_PASSWORD => {
                    StoreError::ServerPassword { server, role: self.role() }
                }
                code if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                    if self.ssl_mode == SslMode::Disable {
                        StoreError::ServerRequiresTls { server, said }
                    } else {
                        StoreError::ServerNotAdmitted { server, said }
                    }
                }
                code if *code == SqlState::INVALID_CATALOG_NAME => {
                    StoreError::ServerNoDatabase { server, said }
                }
                _ => StoreError::from(err),
            };
        }
        // rust-postgres keeps its kinds private; its display names them.
        match err.to_string().as_str() {
            "error connecting to server" => {
                let why = match std::error::Error::source(&err)
                    .and_then(|e| e.downcast_ref::<std::io::Error>())
                {
                    Some(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => Unreachable::Refused,
                    Some(io) if io.kind() == std::io::ErrorKind::TimedOut => Unreachable::TimedOut,
                    _ if !self.names_resolve() => Unreachable::NameUnknown,
                    Some(io) => Unreachable::Other(io.to_string()),
                    None => Unreachable::Other(err.to_string()),
                };
                StoreError::ServerUnreachable { server, why }
            }
            "error performing TLS handshake" => {
                let said = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
                match certificate {
                    Some(refused) => StoreError::ServerCertificate { server, problem: self.problem(refused) },
                    None if said == "server does not support TLS" => StoreError::ServerWithoutTls { server },
                    None => {
                        StoreError::ServerCertificate { server, problem: CertificateProblem::Other(said) }
                    }
                }
            }
            // The server asked for a password the URL does not give.
            "authentication error" => StoreError::ServerPassword { server, role: self.role() },
            _ => StoreError::from(err),
        }
    }

    /// The role the URL connects as.
    fn role(&self) -> String {
        self.config.get_user().unwrap_or_default().to_owned()
    }

    /// Whether every host name of the URL is known to the name service (asked only once a
    /// connection failed, to tell an unknown name from a server that does not answer).
    fn names_resolve(&self) -> bool {
        use std::net::ToSocketAddrs;
        self.config.get_hosts().iter().all(|host| match host {
            ::postgres::config::Host::Tcp(name) => (name.as_str(), 5432).to_socket_addrs().is_ok(),
            ::postgres::config::Host::Unix(_) => true,
        })
    }

    /// Why OpenSSL refused the certificate, in the words a person can act on.
    fn problem(&self, refused: X509VerifyResult) -> CertificateProblem {
        // X509_V_ERR_* (openssl/x509_vfy.h).
        match refused.as_raw() {
            62 | 64 => CertificateProblem::OtherHost(self.host_names()),
            2 | 18 | 19 | 20 | 21 => CertificateProblem::UnknownAuthority,
            9 | 10 => CertificateProblem::Expired,
            _ => CertificateProblem::Other(refused.error_string().to_owned()),
        }
    }

    /// The hosts the URL names, as typed.
    fn host_names(&self) -> String {
        let names: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                ::postgres::config::Host::Tcp(name) => name.clone(),
                ::postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        names.join(",")
    }

    /// OpenSSL set up as `sslmode` asks; under verification, the first refusal of the
    /// server's certificate is kept in `refusal` so that the error can say why.
    fn tls(&self, refusal: Arc<Mutex<Option<X509VerifyResult>>>) -> StoreResult<MakeTlsConnector> {
        let tls_error =
            |e: openssl::error::ErrorStack| StoreError::Invalid(format!("TLS could not be set up: {e}"));
        let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(tls_error)?;
        let verify = matches!(self.ssl_mode, SslMode::VerifyCa | SslMode::VerifyFull);
        if verify {
            builder.set_verify_callback(SslVerifyMode::PEER, move |ok, context| {
                if !ok {
                    let mut first = refusal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    first.get_or_insert(context.error());
                }
                ok
            });
            match self.authority() {
                Some(path) => builder.set_ca_file(&path).map_err(|e| {
                    StoreError::Invalid(format!(
                        "the authority's certificate {} is unreadable: {e}",
                        path.display()
                    ))
                })?,
                None => builder.set_default_verify_paths().map_err(tls_error)?,
            }
        } else {
            builder.set_verify(SslVerifyMode::NONE);
        }
        let mut connector = MakeTlsConnector::new(builder.build());
        let full = self.ssl_mode == SslMode::VerifyFull;
        connector.set_callback(move |config, _| {
            config.set_verify_hostname(full);
            Ok(())
        });
        Ok(connector)
    }

    /// `sslrootcert`, else libpq's `~/.postgresql/root.crt`, else Debian's bundle of the
    /// system's authorities (the vendored OpenSSL does not know where the system keeps them).
    fn authority(&self) -> Option<PathBuf> {
        if let Some(path) = &self.root_cert {
            return Some(path.clone());
        }
        let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(".postgresql/root.crt"));
        home.into_iter().chain([PathBuf::from("/etc/ssl/certs/ca-certificates.crt")]).find(|p| p.is_file())
    }
}

/// `%2F` and the like in a URL's value.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_is_read_as_libpq_reads_it_and_the_rest_handed_on() {
        let url = ServerUrl::parse(
            "postgresql://ecoute:secret@db.centre.example:5433/permanence?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.crt&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(url.ssl_mode, SslMode::VerifyFull);
        assert_eq!(url.root_cert.as_deref(), Some(Path::new("/etc/ca.crt")));
        assert_eq!(url.dbname(), Some("permanence"));
        assert_eq!(url.config.get_connect_timeout(), Some(&std::time::Duration::from_secs(5)));
        assert_eq!(ServerUrl::parse("postgresql://h/db").unwrap().ssl_mode, SslMode::Prefer);
        assert_eq!(ServerUrl::parse("postgres://h/db?sslmode=disable").unwrap().ssl_mode, SslMode::Disable);
        assert!(ServerUrl::parse("postgresql://h/db?sslmode=sometimes").is_err());
        assert!(!format!("{url:?}").contains("secret"));
        assert_eq!(url.redacted(), "postgresql://ecoute@db.centre.example:5433/permanence");
        assert_eq!(ServerUrl::parse("postgres://h/db").unwrap().redacted(), "postgresql://h:5432/db");
    }

    #[test]
    fn a_server_url_is_told_from_a_path() {
        assert!(is_server_url("postgresql://centre/permanence"));
        assert!(is_server_url("postgres://centre/permanence"));
        assert!(!is_server_url("/home/camille/permanence.db"));
        assert!(!is_server_url("postgresql:/relative"));
    }
}
