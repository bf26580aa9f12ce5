//! A real nginx serving a folder on 127.0.0.1 for the registry client's tests: Debian's
//! nginx (scripts/setup.sh installs `nginx-light`), started as a non-daemon, single-process
//! child with its own prefix, config, pid, logs and temp folders in a temp dir, on free ports,
//! optionally with HTTPS from a CA made here (rcgen) so the client's `SSL_CERT_FILE` path is
//! tested. It is killed and reaped on drop. A missing nginx fails the test (never skips).

use std::fs;
use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long [`Nginx::start_with`] waits for the ports to answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// What to start.
#[derive(Clone, Debug, Default)]
pub struct NginxOptions {
    /// Also listen with TLS (a server certificate for `127.0.0.1` and `localhost`, issued by a
    /// CA whose PEM is [`Nginx::ca_file`]).
    pub https: bool,
    /// Extra directives inside the plain-http `server { }` (e.g. `location = /x { return 302
    /// …; }`); `{http_port}` and `{https_port}` are replaced by the ports.
    pub http_extra: String,
    /// The same for the https `server { }`.
    pub https_extra: String,
}

/// A running nginx; see the module documentation.
pub struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    /// The plain-http port on 127.0.0.1.
    pub http_port: u16,
    /// The https port on 127.0.0.1, when started with `https`.
    pub https_port: Option<u16>,
}

/// The nginx binary: `/usr/sbin/nginx` or one on `PATH`; panics with the fix when absent.
pub fn nginx_binary() -> PathBuf {
    let fixed = PathBuf::from("/usr/sbin/nginx");
    if fixed.exists() {
        return fixed;
    }
    if let Some(found) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("nginx"))
            .find(|c| c.exists())
    }) {
        return found;
    }
    panic!(
        "nginx is required by the registry client tests (cli/tests/net.rs) and was not found \
         in /usr/sbin or on PATH: run scripts/setup.sh (it installs Debian's nginx-light)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Makes a CA and a server certificate for `127.0.0.1` and `localhost`; writes `ca.pem`,
/// `server.pem` and `server.key` into `dir`.
fn make_certificates(dir: &Path) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "omega test CA (cli/tests/net.rs)");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let mut server =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    fs::write(dir.join("server.pem"), server_cert.pem()).unwrap();
    fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
}

fn config(
    dir: &Path,
    root: &Path,
    http_port: u16,
    https_port: Option<u16>,
    opts: &NginxOptions,
) -> String {
    let d = dir.display();
    let fill = |extra: &str| {
        extra
            .replace("{http_port}", &http_port.to_string())
            .replace("{https_port}", &https_port.unwrap_or(0).to_string())
    };
    let mut c = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  default_type application/octet-stream;\n  etag on;\n  \
         server_tokens off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         server {{\n    listen 127.0.0.1:{http_port};\n    root {root};\n{extra}\n  }}\n",
        root = root.display(),
        extra = fill(&opts.http_extra),
    );
    if let Some(p) = https_port {
        c.push_str(&format!(
            "  server {{\n    listen 127.0.0.1:{p} ssl;\n    ssl_certificate {d}/server.pem;\n    \
             ssl_certificate_key {d}/server.key;\n    root {root};\n{extra}\n  }}\n",
            root = root.display(),
            extra = fill(&opts.https_extra),
        ));
    }
    c.push_str("}\n");
    c
}

fn answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

impl Nginx {
    /// nginx serving `root` over plain http.
    pub fn start(root: &Path) -> Nginx {
        Nginx::start_with(root, &NginxOptions::default())
    }

    /// nginx serving `root` as `opts` says; returns once every port answers.
    pub fn start_with(root: &Path, opts: &NginxOptions) -> Nginx {
        let binary = nginx_binary();
        let root = fs::canonicalize(root).unwrap();
        let mut last_log = String::new();
        // A port found free can be taken before nginx binds it: try a few times.
        for _attempt in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            if opts.https {
                make_certificates(dir.path());
            }
            let http_port = free_port();
            let https_port = opts.https.then(free_port);
            let conf = dir.path().join("nginx.conf");
            fs::write(
                &conf,
                config(dir.path(), &root, http_port, https_port, opts),
            )
            .unwrap();
            let mut child = Command::new(&binary)
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let start = Instant::now();
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    let mut err = String::new();
                    if let Some(mut s) = child.stderr.take() {
                        let _ = s.read_to_string(&mut err);
                    }
                    let log = fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                    last_log = format!("nginx exited with {status}\n{err}\n{log}");
                    break;
                }
                let up = answers(http_port) && https_port.is_none_or(answers);
                if up {
                    return Nginx {
                        child,
                        dir,
                        http_port,
                        https_port,
                    };
                }
                if start.elapsed() > START_TIMEOUT {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "nginx did not answer on 127.0.0.1:{http_port} within {START_TIMEOUT:?}:\n{}",
                        fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !last_log.contains("Address already in use") {
                break;
            }
        }
        panic!("nginx failed to start:\n{last_log}");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// `https://127.0.0.1:PORT` (panics when started without https).
    pub fn https_url(&self) -> String {
        format!(
            "https://127.0.0.1:{}",
            self.https_port.expect("nginx started without https")
        )
    }

    /// The PEM file of the CA that issued the server certificate (for `SSL_CERT_FILE`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
