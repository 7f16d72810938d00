//! `dashboard healthcheck`: the container health check (slim images have no curl). Asks
//! `http://127.0.0.1:$WEB_PORT/healthz`; true on 200.

use std::time::Duration;

pub fn run(port: u16, url: Option<&str>) -> Result<bool, crate::Error> {
    let setup = |e: &dyn std::fmt::Display| crate::Error::Healthcheck(e.to_string());
    let url = url
        .map(str::to_string)
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}/healthz"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| setup(&e))?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| setup(&e))?;
        match client.get(&url).send().await {
            Ok(r) if r.status() == reqwest::StatusCode::OK => {
                println!("OK {url}: {}", r.text().await.unwrap_or_default());
                Ok(true)
            }
            Ok(r) => {
                println!("FAIL {url}: HTTP {}", r.status());
                Ok(false)
            }
            Err(e) => {
                println!("FAIL {url}: {e}");
                Ok(false)
            }
        }
    })
}
