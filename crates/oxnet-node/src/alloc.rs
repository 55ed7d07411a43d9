//! A counting global allocator so tests can see that native memory returns to its baseline after
//! create / fit / predict / drop cycles (liveAllocations). One relaxed atomic add per call.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

use napi_derive::napi;

struct Counting;

static LIVE_BLOCKS: AtomicI64 = AtomicI64::new(0);
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
            LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
            LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[napi(object)]
pub struct NativeAllocations {
    /// Rust heap blocks currently allocated by the addon.
    pub blocks: f64,
    /// Their total size in bytes.
    pub bytes: f64,
}

/// Live Rust heap allocations of the addon (for leak tests). Buffers handed to JS as
/// Float32Array count until JavaScript's garbage collector frees them.
#[napi(js_name = "liveAllocations")]
pub fn live_allocations() -> NativeAllocations {
    NativeAllocations { blocks: LIVE_BLOCKS.load(Ordering::Relaxed) as f64, bytes: LIVE_BYTES.load(Ordering::Relaxed) as f64 }
}
