//! threads::init in fresh processes: rayon's global pool can be sized once per process, so each
//! case re-runs this test binary with its own OXNET_THREADS (and OXNET_THREADS_CASE naming the
//! case) and checks the outcome there.
use std::process::Command;

use oxnet_core::threads;
use oxnet_core::ErrorCode;

const CASE: &str = "OXNET_THREADS_CASE";

/// Names of the global pool's threads, in index order.
fn global_names() -> Vec<Option<String>> {
    rayon::broadcast(|_| std::thread::current().name().map(str::to_string))
}

fn run_case(case: &str) {
    match case {
        // OXNET_THREADS=2: two named threads; kernels and setThreads keep to what was asked.
        "sized" => {
            assert_eq!(threads::init(), Ok(2));
            assert_eq!(threads::threads(), 2);
            assert_eq!(global_names(), vec![Some("oxnet-0".to_string()), Some("oxnet-1".to_string())]);
            let mut y = vec![0.0f32; 2 * 4 * 4 * 3];
            let g = oxnet_core::pool::Pool2dGeometry {
                batch: 2,
                in_h: 8,
                in_w: 8,
                channels: 3,
                pool_h: 2,
                pool_w: 2,
                stride_h: 2,
                stride_w: 2,
                pad_top: 0,
                pad_bottom: 0,
                pad_left: 0,
                pad_right: 0,
            };
            oxnet_core::pool::max_pool2d_forward(&g, &vec![1.0f32; 2 * 8 * 8 * 3], &mut y, None);
            assert_eq!(threads::init(), Ok(2));
            threads::set_threads(3).unwrap();
            assert_eq!(threads::threads(), 3);
            let names = threads::install(|| rayon::broadcast(|_| std::thread::current().name().map(str::to_string)));
            assert_eq!(names, vec![Some("oxnet-0".to_string()), Some("oxnet-1".to_string()), Some("oxnet-2".to_string())]);
            threads::set_threads(2).unwrap();
            assert_eq!(threads::threads(), 2);
        }
        // Parallel work before oxnet's first call started the global pool with 3 threads: the
        // request for 2 is refused, on every call, and threads() says what actually runs.
        "prebuilt" => {
            rayon::ThreadPoolBuilder::new().num_threads(3).build_global().unwrap();
            let e = threads::init().unwrap_err();
            assert_eq!(e.code, ErrorCode::Backend);
            assert_eq!(
                e.message,
                "OXNET_THREADS=2 asks for 2 threads, but rayon's global thread pool was already started with 3 threads before oxnet \
                 could size it (parallel work ran before the first oxnet call); its size cannot change now"
            );
            assert_eq!(threads::init(), Err(e.clone()));
            assert_eq!(threads::set_threads(1), Err(e));
            assert_eq!(threads::threads(), 3);
        }
        // A pool started earlier with the size asked for is fine.
        "prebuilt_same" => {
            rayon::ThreadPoolBuilder::new().num_threads(2).build_global().unwrap();
            assert_eq!(threads::init(), Ok(2));
        }
        // Not a count: E_ARG naming the variable and the value, no pool started by oxnet.
        "invalid" => {
            let e = threads::init().unwrap_err();
            assert_eq!(e.to_string(), "E_ARG: OXNET_THREADS must be an integer in [1, 256], got \"abc\"");
            assert_eq!(threads::set_threads(2), Err(e));
            assert_eq!(threads::threads(), 1);
        }
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn threads_init_in_fresh_processes() {
    if let Ok(case) = std::env::var(CASE) {
        run_case(&case);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for (case, value) in [("sized", "2"), ("prebuilt", "2"), ("prebuilt_same", "2"), ("invalid", "abc")] {
        let out = Command::new(&exe)
            .args(["threads_init_in_fresh_processes", "--exact", "--nocapture", "--test-threads=1"])
            .env(CASE, case)
            .env("OXNET_THREADS", value)
            .env_remove("RAYON_NUM_THREADS")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "case {case} (OXNET_THREADS={value}) failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
