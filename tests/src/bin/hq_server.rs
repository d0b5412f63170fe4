//! HQ in its own process, for tests that kill it with SIGKILL or stop it
//! with SIGTERM (it then stops as `onsite hq serve` does: gracefully, exit 0).
//! Usage: hq_server DB_URL LISTEN_ADDR ADMIN_TOKEN
//! With `ONSITE_HQ_LOG_FORMAT=text|json` it logs to standard error as
//! `onsite hq serve` does (filtered by `RUST_LOG`); without, it is silent.

// Test and benchmark support: a failed unwrap is a failed run, not a crash in the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db_url, listen, admin] = args.as_slice() else {
        eprintln!("usage: hq_server DB_URL LISTEN_ADDR ADMIN_TOKEN");
        std::process::exit(2);
    };
    if let Ok(format) = std::env::var("ONSITE_HQ_LOG_FORMAT") {
        onsite_hq::logs::init(format.parse().expect("ONSITE_HQ_LOG_FORMAT: text or json"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let db = match onsite_hq::open(db_url).await {
            Ok(db) => db,
            Err(e) => {
                eprintln!("hq_server: {e}");
                std::process::exit(1);
            }
        };
        let addr = listen.parse().expect("listen address");
        let server = onsite_hq::Server::start(db, admin, addr)
            .await
            .expect("start");
        onsite_hq::watch::shutdown_signal().await;
        server.stop().await;
    });
}
