//! Steady state allocates nothing per batch: after a warm-up call, a trainEpochs call over 20
//! batches makes exactly as many heap allocations as one over 2 batches (what a call itself
//! allocates: its order and stats), for the W3 CNN, a W2-shaped MLP and a residual network
//! (fan-out, add, batch norm), on a 2-thread pool.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;

use common::{random, W2, W3};

use oxnet_core::executor::{Dataset, EpochOrder, EpochPlan, Network};
use oxnet_core::graph::GraphSpec;

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn data_of(count: usize, size: usize) -> Dataset {
    let x: Vec<f32> = random(count * size, 4, 0.5).iter().map(|v| v + 0.5).collect();
    let mut y = vec![0.0; count * 10];
    for i in 0..count {
        y[i * 10 + (i * 7) % 10] = 1.0;
    }
    Dataset::single(x, y, count).unwrap()
}

/// Allocations made by one trainEpochs call of one epoch over `data` in batches of 32.
fn allocations_of_one_epoch(net: &mut Network, data: &Dataset) -> usize {
    let plan = EpochPlan { epochs: 1, batch_size: 32, lr: 1e-3, step: 0, order: EpochOrder::Identity, stop_below: None };
    let before = ALLOCS.load(Ordering::SeqCst);
    net.train_epochs(data, &plan).unwrap();
    ALLOCS.load(Ordering::SeqCst) - before
}

/// The counter is process-wide: the tests take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn check(spec: &str, sizes: &[usize]) {
    let (graph, state) = common::chain(spec);
    check_graph(graph, state, sizes, 784);
}

fn check_graph(graph: GraphSpec, state: Vec<Vec<f32>>, sizes: &[usize], input: usize) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| {
        let params: Vec<Vec<f32>> = sizes.iter().enumerate().map(|(i, &n)| random(n, i as u32 + 1, 0.1)).collect();
        let mut net = Network::new(graph, params, state).unwrap();
        let (small, large) = (data_of(64, input), data_of(640, input));
        // Warm-up: buffers grow to their size, on whichever pool thread runs each part.
        for _ in 0..3 {
            allocations_of_one_epoch(&mut net, &large);
            allocations_of_one_epoch(&mut net, &small);
        }
        let two_batches = allocations_of_one_epoch(&mut net, &small);
        let twenty_batches = allocations_of_one_epoch(&mut net, &large);
        assert_eq!(twenty_batches, two_batches, "18 more batches made {} more allocations", twenty_batches as i64 - two_batches as i64);
    });
}

#[test]
fn w3_cnn_batches_allocate_nothing() {
    check(W3, &[200, 8, 3200, 16, 7840, 10]);
}

#[test]
fn w2_mlp_batches_allocate_nothing() {
    check(W2, &[784 * 128, 128, 128 * 64, 64, 64 * 10, 10]);
}

#[test]
fn residual_net_batches_allocate_nothing() {
    // W6's topology on 12x12 images, one block per stage: shortcuts, projections, batch norm.
    let (b, _) = common::resnet(12, 1, 1, "relu");
    let sizes = b.param_sizes();
    let (graph, state) = b.finish();
    check_graph(graph, state, &sizes, 144);
}

const UPNORM: &str = r#"{"inputSize":784,"seed":7,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.001},
"layers":[{"type":"conv2d","inShape":[28,28,1],"filters":4,"kernel":[3,3],"strides":[2,2],"padding":[0,1,0,1],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
{"type":"upSample2d","inShape":[14,14,4],"size":[2,2],"interpolation":"bilinear"},
{"type":"layerNorm","size":3136,"width":4,"epsilon":0.001,"center":true,"scale":true},
{"type":"maxPool2d","inShape":[28,28,4],"pool":[2,2],"strides":[2,2],"padding":[0,0,0,0]},
{"type":"upSample2d","inShape":[14,14,4],"size":[1,2],"interpolation":"nearest"},
{"type":"layerNorm","size":1568,"width":1568,"epsilon":0.001,"center":false,"scale":false},
{"type":"reshape","size":1568},
{"type":"dense","inputs":1568,"units":10,"useBias":true,"activation":{"kind":"softmax"}}]}"#;

#[test]
fn upsampling_and_layer_norm_batches_allocate_nothing() {
    check(UPNORM, &[36, 4, 4, 4, 1568 * 10, 10]);
}

#[test]
fn transposed_and_depthwise_conv_batches_allocate_nothing() {
    // conv s2 -> depthwise m2 -> 1x1 conv (a separable pair) -> conv2dTranspose s2 (direct path)
    // -> max pool -> 1x1 conv -> conv2dTranspose 7x7x64 -> 7x7x64 (im2col path) -> pool -> dense.
    let spec = r#"{"inputSize":784,"seed":7,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.001},
"layers":[{"type":"conv2d","inShape":[28,28,1],"filters":8,"kernel":[3,3],"strides":[2,2],"padding":[0,1,0,1],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
{"type":"depthwiseConv2d","inShape":[14,14,8],"depthMultiplier":2,"kernel":[3,3],"strides":[1,1],"padding":[1,1,1,1],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
{"type":"conv2d","inShape":[14,14,16],"filters":8,"kernel":[1,1],"strides":[1,1],"padding":[0,0,0,0],"dilation":[1,1],"useBias":true,"activation":{"kind":"linear"}},
{"type":"conv2dTranspose","inShape":[14,14,8],"outShape":[28,28,4],"kernel":[3,3],"strides":[2,2],"padding":[0,1,0,1],"useBias":true,"activation":{"kind":"relu"}},
{"type":"maxPool2d","inShape":[28,28,4],"pool":[4,4],"strides":[4,4],"padding":[0,0,0,0]},
{"type":"conv2d","inShape":[7,7,4],"filters":64,"kernel":[1,1],"strides":[1,1],"padding":[0,0,0,0],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
{"type":"conv2dTranspose","inShape":[7,7,64],"outShape":[7,7,64],"kernel":[3,3],"strides":[1,1],"padding":[1,1,1,1],"useBias":true,"activation":{"kind":"tanh"}},
{"type":"globalAvgPool2d","inShape":[7,7,64]},
{"type":"dense","inputs":64,"units":10,"useBias":true,"activation":{"kind":"softmax"}}]}"#;
    let (graph, state) = common::chain(spec);
    let sizes: Vec<usize> = graph.params.iter().map(|p| p.size).collect();
    check_graph(graph, state, &sizes, 784);
}
