//! The HTTP client of the camera-workers (docs/api.md): JSON reads with a timeout, changes
//! with the API token, and raw requests for the proxies. Every failure becomes a short reason
//! a person can read on a camera card ("connection refused", "no answer within 2s").

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// Why a worker call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WorkerError {
    /// No TCP connection or the connection broke.
    #[error("{0}")]
    Unreachable(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The worker answered with an error status; `body` is its JSON (`{"error", "field"}`)
    /// or the text wrapped as `{"error": text}`.
    #[error("HTTP {status}: {}", body["error"].as_str().unwrap_or("error"))]
    Status { status: StatusCode, body: Value },
    /// A 2xx answer that is not the JSON the API promises.
    #[error("bad answer: {0}")]
    BadBody(String),
}

impl WorkerError {
    /// The status the dashboard answers with when passing this error on.
    pub fn status(&self) -> StatusCode {
        match self {
            WorkerError::Unreachable(_) | WorkerError::BadBody(_) => StatusCode::BAD_GATEWAY,
            WorkerError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            WorkerError::Status { status, .. } => *status,
        }
    }
}

/// A short reason from a reqwest error: its innermost cause, which says what happened
/// ("Connection refused (os error 111)") without repeating the URL.
fn reason(e: &reqwest::Error, timeout: Duration) -> WorkerError {
    if e.is_timeout() {
        return WorkerError::Timeout(timeout);
    }
    let mut inner: &dyn std::error::Error = e;
    while let Some(s) = inner.source() {
        inner = s;
    }
    let text = inner.to_string();
    let text = text
        .split(" (os error")
        .next()
        .unwrap_or(&text)
        .to_lowercase();
    if e.is_connect() {
        WorkerError::Unreachable(format!("cannot connect: {text}"))
    } else {
        WorkerError::Unreachable(text)
    }
}

/// Talks to every worker; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct WorkerClient {
    http: reqwest::Client,
    timeout: Duration,
    token: Option<String>,
}

impl WorkerClient {
    /// `timeout` bounds connecting and every JSON call; proxied bodies may stream for longer.
    pub fn new(timeout: Duration, token: Option<String>) -> WorkerClient {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .user_agent(concat!("meteor-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client");
        WorkerClient {
            http,
            timeout,
            token,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `GET base+path`, parsed as JSON, the whole call within `timeout`.
    pub async fn get_json(
        &self,
        base: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<Value, WorkerError> {
        let (status, bytes) = self.send(Method::GET, base, path, None, timeout).await?;
        Self::answer(status, &bytes).map(|(_, v)| v.unwrap_or(Value::Null))
    }

    /// A change (`PUT`, `DELETE`, ...) with the API token and an optional JSON body. Answers
    /// the status and the JSON body (`None` for an empty one, such as 204).
    pub async fn change(
        &self,
        method: Method,
        base: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Option<Value>), WorkerError> {
        let timeout = self.timeout.max(Duration::from_secs(10));
        let (status, bytes) = self.send(method, base, path, body, timeout).await?;
        Self::answer(status, &bytes)
    }

    /// `GET base+path` of a 2xx answer's body as it came, the whole call within `timeout`:
    /// for the record lists, which are parsed without building a `Value` of every record.
    pub async fn get_bytes(
        &self,
        base: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<bytes::Bytes, WorkerError> {
        let (status, bytes) = self.send(Method::GET, base, path, None, timeout).await?;
        if status.is_success() {
            return Ok(bytes);
        }
        // Not a success: the error the worker's answer says.
        Self::answer(status, &bytes).map(|_| bytes)
    }

    /// The request, and the answer's status and body.
    async fn send(
        &self,
        method: Method,
        base: &str,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<(StatusCode, bytes::Bytes), WorkerError> {
        let mut req = self.http.request(method.clone(), format!("{base}{path}"));
        if method != Method::GET {
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let work = async {
            let resp = req.send().await.map_err(|e| reason(&e, timeout))?;
            let status = resp.status();
            let bytes = resp.bytes().await.map_err(|e| reason(&e, timeout))?;
            Ok::<_, WorkerError>((status, bytes))
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| WorkerError::Timeout(timeout))?
    }

    /// An answer's JSON body, or the error its status and body say.
    fn answer(
        status: StatusCode,
        bytes: &[u8],
    ) -> Result<(StatusCode, Option<Value>), WorkerError> {
        let json = if bytes.is_empty() {
            None
        } else {
            match serde_json::from_slice::<Value>(bytes) {
                Ok(v) => Some(v),
                Err(e) if status.is_success() => return Err(WorkerError::BadBody(e.to_string())),
                Err(_) => Some(serde_json::json!({
                    "error": String::from_utf8_lossy(bytes).chars().take(300).collect::<String>()
                })),
            }
        };
        if status.is_success() {
            Ok((status, json))
        } else {
            let body = match json {
                Some(v) if v.get("error").is_some() => v,
                _ => serde_json::json!({ "error": format!("worker answered HTTP {status}") }),
            };
            Err(WorkerError::Status { status, body })
        }
    }

    /// A raw `GET` for the proxies: `headers` are sent as they are; only the wait for the
    /// answer's head is bounded (by `wait`, or the client's timeout when longer), the body
    /// streams for as long as it lasts.
    pub async fn get_raw(
        &self,
        base: &str,
        path: &str,
        headers: reqwest::header::HeaderMap,
        wait: Duration,
    ) -> Result<reqwest::Response, WorkerError> {
        let req = self.http.get(format!("{base}{path}")).headers(headers);
        let timeout = self.timeout.max(wait);
        tokio::time::timeout(timeout, req.send())
            .await
            .map_err(|_| WorkerError::Timeout(timeout))?
            .map_err(|e| reason(&e, timeout))
    }
}

/// Percent-encodes one path segment (camera names, file names and ids may hold anything).
pub fn segment(s: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(s, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("meteor_1.mp4"), "meteor_1.mp4");
        assert_eq!(segment("a/b ☄"), "a%2Fb%20%E2%98%84");
        assert_eq!(segment(".."), "..");
    }

    #[tokio::test]
    async fn refused_connection_is_a_short_reason() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let c = WorkerClient::new(Duration::from_secs(1), None);
        let e = c
            .get_json(
                &format!("http://127.0.0.1:{port}"),
                "/stats",
                Duration::from_secs(1),
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("refused"), "{e}");
        assert_eq!(e.status(), StatusCode::BAD_GATEWAY);
    }

    #[tokio::test]
    async fn silent_worker_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let _keep = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let c = WorkerClient::new(Duration::from_millis(300), None);
        let t = std::time::Instant::now();
        let e = c
            .get_json(
                &format!("http://127.0.0.1:{port}"),
                "/stats",
                Duration::from_millis(300),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, WorkerError::Timeout(_)), "{e}");
        assert!(t.elapsed() < Duration::from_secs(2));
    }
}
