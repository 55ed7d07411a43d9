//! The Rust side of loading a model: GraphSpec JSON + parameter and state arrays -> Network::new,
//! then one predict and one training step on whatever builds. Input layout: u16 LE length L, L
//! bytes of spec JSON, one byte P (array count), then the rest as little-endian f32 split into P
//! arrays at the positions given by the next P bytes; the first spec.params.len() arrays are the
//! parameters, the rest the state. Any Err is fine; a panic, abort, or an
//! allocation over libFuzzer's limit is a finding.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oxnet_core::executor::{Dataset, Network};
use oxnet_core::graph::GraphSpec;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let len = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
    let json = String::from_utf8_lossy(&data[2..2 + len]);
    let rest = &data[2 + len..];
    let Ok(spec) = GraphSpec::from_json(&json) else { return };
    let (count, rest) = match rest.split_first() {
        Some((&c, r)) => (usize::from(c % 16), r),
        None => (0, rest),
    };
    let cuts = &rest[..count.min(rest.len())];
    let floats: Vec<f32> = rest[cuts.len()..].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let mut params = Vec::with_capacity(count);
    let mut start = 0;
    for (i, &c) in cuts.iter().enumerate() {
        // Each cut byte takes a share of what is left; the last array takes all of it.
        let end = if i + 1 == cuts.len() { floats.len() } else { (start + usize::from(c)).min(floats.len()) };
        params.push(floats[start..end].to_vec());
        start = end;
    }
    let state = params.split_off(spec.params.len().min(params.len()));
    let Ok(mut net) = Network::new(spec, params, state) else { return };
    let (inputs, outputs) = (net.input_sizes(), net.output_sizes());
    if inputs.iter().chain(&outputs).any(|&s| s > 1 << 16) {
        return; // a legitimately large network: running it is not what this target checks
    }
    let xs: Vec<Vec<f32>> = inputs.iter().map(|&s| vec![0.5; s]).collect();
    let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
    let mut outs: Vec<Vec<f32>> = outputs.iter().map(|&s| vec![0.0; s]).collect();
    let mut out_refs: Vec<&mut [f32]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
    let _ = net.predict_into(&refs, 1, &mut out_refs);
    let data = Dataset::new(
        inputs.iter().map(|&s| vec![0.25; s * 2]).collect(),
        outputs.iter().map(|&s| oxnet_core::executor::TargetData::Values(vec![0.0; s * 2])).collect(),
        2,
    );
    if let Ok(ds) = data {
        let _ = net.train(&ds, &[0, 1], 2, 0.01, 0);
    }
});
