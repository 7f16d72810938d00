//! The GStreamer RTSP server behind [`SimServer`](super::SimServer): one media factory per
//! mount, basic authentication where a camera has credentials, and a GLib main loop on its own
//! thread. One running server is a [`Running`]; stopping it closes every client and session
//! and the listening socket, so a camera can come back on the same port.
//!
//! Media are per client (`shared = false`): each client gets its own small pipeline
//! `appsrc ! rtph26Xpay` (plus the audio branch) fed by its own pusher thread, which is what
//! lets every client start at a keyframe. Pushing cached access units costs little, so this
//! costs about what a shared media would with one client per camera.

use super::{pusher, MountState};
use crate::error::SimError;
use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A listening server and the thread iterating its main context.
pub(crate) struct Running {
    ctx: glib::MainContext,
    main_loop: glib::MainLoop,
    server: rtsp::RTSPServer,
    source: glib::SourceId,
    thread: std::thread::JoinHandle<()>,
    /// Tells this run's pushers to end.
    cancel: Arc<AtomicBool>,
    pub port: u16,
}

/// The pipeline of one mount's media.
fn launch_line(mount: &MountState) -> String {
    let video = format!(
        "appsrc name=vsrc is-live=true format=time do-timestamp=false min-latency=0 \
         ! {} name=pay0 pt=96 config-interval=-1",
        mount.codec.payloader()
    );
    // A metadata stream as ONVIF cameras add one: media `application`, a payload no video
    // client knows (here serialized GStreamer buffers), about one packet a second.
    let metadata = if mount.metadata {
        let pay = if mount.audio == super::Audio::None {
            "pay1"
        } else {
            "pay2"
        };
        format!(
            " audiotestsrc is-live=true wave=silence samplesperbuffer=8000 \
             ! audio/x-raw,rate=8000,channels=1 ! rtpgstpay name={pay} pt=107"
        )
    } else {
        String::new()
    };
    format!("( {video}{}{metadata} )", mount.audio.launch())
}

/// Starts serving `mounts` on `bind:port` (0 = any free port).
pub(crate) fn start(
    bind: &str,
    port: u16,
    mounts: &[Arc<MountState>],
) -> Result<Running, SimError> {
    gst::init()?;
    let cancel = Arc::new(AtomicBool::new(false));
    let server = rtsp::RTSPServer::new();
    server.set_address(bind);
    server.set_service(&port.to_string());
    let points = server
        .mount_points()
        .ok_or_else(|| SimError::Gst("the RTSP server has no mount points".into()))?;
    let roles = set_auth(&server, mounts);
    for mount in mounts {
        let factory = rtsp::RTSPMediaFactory::new();
        factory.set_launch(&launch_line(mount));
        factory.set_shared(false);
        if mount.udp_only {
            factory.set_protocols(rtsp::gst_rtsp::RTSPLowerTrans::UDP);
        }
        factory.set_suspend_mode(rtsp::RTSPSuspendMode::None);
        let (m, c) = (mount.clone(), cancel.clone());
        factory.connect_media_configure(move |_, media| configure(media, &m, &c));
        if let Some(roles) = &roles {
            // Every role may access every mount, so that a client without (the right)
            // credentials is asked for them (a refused construct answers 401, a refused
            // access 404); only the mount's own role, or any on an open mount, may construct.
            let own = mount.credentials.as_ref().map(|c| &roles.users[c]);
            for role in roles.users.values().chain([&roles.anonymous]) {
                let construct = own.is_none_or(|o| o == role);
                let s = gst::Structure::builder(role.as_str())
                    .field(rtsp::RTSP_PERM_MEDIA_FACTORY_ACCESS.as_str(), true)
                    .field(rtsp::RTSP_PERM_MEDIA_FACTORY_CONSTRUCT.as_str(), construct)
                    .build();
                factory.add_role_from_structure(&s);
            }
        }
        points.add_factory(&mount.path, factory);
    }
    log_clients(&server);

    let ctx = glib::MainContext::new();
    let main_loop = glib::MainLoop::new(Some(&ctx), false);
    let source = server
        .attach(Some(&ctx))
        .map_err(|e| SimError::Gst(format!("cannot listen on {bind}:{port}: {e}")))?;
    let port = u16::try_from(server.bound_port())
        .map_err(|_| SimError::Gst(format!("cannot listen on {bind}:{port}")))?;
    let (c, l) = (ctx.clone(), main_loop.clone());
    let thread = std::thread::Builder::new()
        .name("rtsp-server".into())
        .spawn(move || {
            if let Err(e) = c.with_thread_default(|| l.run()) {
                tracing::error!(error = %e, "cannot run the RTSP main loop");
            }
        })
        .map_err(|e| SimError::Gst(format!("cannot start the RTSP thread: {e}")))?;
    Ok(Running {
        ctx,
        main_loop,
        server,
        source,
        thread,
        cancel,
        port,
    })
}

impl Running {
    /// Stops listening, closes every client and session, ends the pushers and the main loop.
    pub(crate) fn stop(self) {
        let Running {
            ctx,
            main_loop,
            server,
            source,
            thread,
            cancel,
            ..
        } = self;
        cancel.store(true, Ordering::SeqCst);
        let (tx, rx) = std::sync::mpsc::channel();
        let (l, c) = (main_loop.clone(), ctx.clone());
        ctx.invoke(move || {
            if let Some(s) = c.find_source_by_id(&source) {
                s.destroy();
            }
            server.client_filter(Some(&mut |_, _| rtsp::RTSPFilterResult::Remove));
            if let Some(pool) = server.session_pool() {
                pool.filter(Some(&mut |_, _| rtsp::RTSPFilterResult::Remove));
            }
            l.quit();
            let _ = tx.send(());
        });
        if rx.recv_timeout(std::time::Duration::from_secs(10)).is_err() {
            tracing::warn!("the RTSP main loop did not answer the stop request");
            main_loop.quit();
        }
        let _ = thread.join();
    }
}

/// Roles of the authenticated server: one per distinct credential pair, and the anonymous one.
struct Roles {
    users: std::collections::HashMap<(String, String), String>,
    anonymous: String,
}

/// Installs basic authentication when any mount has credentials.
fn set_auth(server: &rtsp::RTSPServer, mounts: &[Arc<MountState>]) -> Option<Roles> {
    let mut users = std::collections::HashMap::new();
    for cred in mounts.iter().filter_map(|m| m.credentials.clone()) {
        let n = users.len();
        users.entry(cred).or_insert_with(|| format!("user{n}"));
    }
    if users.is_empty() {
        return None;
    }
    let auth = rtsp::RTSPAuth::new();
    let anonymous = "anonymous".to_string();
    let mut token = rtsp::RTSPToken::builder()
        .field(rtsp::RTSP_TOKEN_MEDIA_FACTORY_ROLE.as_str(), &anonymous)
        .build();
    auth.set_default_token(Some(&mut token));
    for ((user, pass), role) in &users {
        let token = rtsp::RTSPToken::builder()
            .field(rtsp::RTSP_TOKEN_MEDIA_FACTORY_ROLE.as_str(), role)
            .build();
        auth.add_basic(&rtsp::RTSPAuth::make_basic(user, pass), &token);
    }
    server.set_auth(Some(&auth));
    Some(Roles { users, anonymous })
}

/// One log line per client connecting and disconnecting.
fn log_clients(server: &rtsp::RTSPServer) {
    let next_id = AtomicU64::new(1);
    server.connect_client_connected(move |_, client| {
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let peer = peer_ip(client);
        tracing::info!(client = id, %peer, "client connected");
        client.connect_closed(move |_| tracing::info!(client = id, %peer, "client disconnected"));
    });
}

/// The client's IP address (the Rust binding has no `gst_rtsp_client_get_connection`).
fn peer_ip(client: &rtsp::RTSPClient) -> String {
    use gstreamer::glib::translate::ToGlibPtr;
    // SAFETY: the connection belongs to `client`, alive for this call; the returned string
    // belongs to the connection and is copied before returning.
    unsafe {
        let conn = rtsp::ffi::gst_rtsp_client_get_connection(client.to_glib_none().0);
        if conn.is_null() {
            return "?".into();
        }
        let ip = rtsp::gst_rtsp::ffi::gst_rtsp_connection_get_ip(conn);
        if ip.is_null() {
            return "?".into();
        }
        std::ffi::CStr::from_ptr(ip).to_string_lossy().into_owned()
    }
}

/// Sets up a new media of `mount`: caps of the loop due now on its `appsrc` (the SDP
/// describes them; the pusher changes them at a switch), and a pusher once the pipeline asks
/// for data (it is then running), ended when the media is unprepared.
fn configure(media: &rtsp::RTSPMedia, mount: &Arc<MountState>, run_cancel: &Arc<AtomicBool>) {
    let Some(appsrc) = media
        .element()
        .downcast_ref::<gst::Bin>()
        .and_then(|b| b.by_name("vsrc"))
        .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
    else {
        tracing::error!(mount = %mount.path, "media without its appsrc");
        return;
    };
    appsrc.set_caps(Some(&mount.segment_now().encoded.caps));
    appsrc.set_max_bytes(0);
    send_unsynced(media);
    super::network::install(media, mount);
    let media_cancel = Arc::new(AtomicBool::new(false));
    let flag = media_cancel.clone();
    media.connect_unprepared(move |_| flag.store(true, Ordering::SeqCst));
    let started = AtomicBool::new(false);
    let (m, rc) = (mount.clone(), run_cancel.clone());
    appsrc.set_callbacks(
        gst_app::AppSrcCallbacks::builder()
            .need_data(move |src, _| {
                if !started.swap(true, Ordering::SeqCst) {
                    pusher::spawn(src.clone(), m.clone(), rc.clone(), media_cancel.clone());
                }
            })
            .build(),
    );
}

/// The pusher paces the frames by the timeline; the media's network sinks send what they get
/// at once, as a camera does. Synced to the timestamps (gst-rtsp-server's default), the
/// frames pushed between the client's DESCRIBE and PLAY, while the media waits paused, would
/// go out one by one from PLAY on, and the client would get the whole connection that much
/// later than the truth says the frames were shown. The server makes its sinks at SETUP and
/// sets their `sync` again later (the TCP appsink's at PLAY, from its rate control), so each
/// sink is held unsynced from when it joins the pipeline.
fn send_unsynced(media: &rtsp::RTSPMedia) {
    let Some(pipeline) = media
        .element()
        .parent()
        .and_then(|p| p.downcast::<gst::Bin>().ok())
    else {
        tracing::warn!("media without a pipeline: its sinks keep syncing");
        return;
    };
    pipeline.connect_deep_element_added(|_, _, element| {
        let factory = element.factory().map(|f| f.name());
        if matches!(factory.as_deref(), Some("multiudpsink" | "appsink")) {
            element.set_property("sync", false);
            element.connect_notify(Some("sync"), |e, _| {
                if e.property::<bool>("sync") {
                    e.set_property("sync", false);
                }
            });
        }
    });
}
