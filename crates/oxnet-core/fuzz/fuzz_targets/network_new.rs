//! The Rust side of loading a model: NetworkSpec JSON + parameter arrays -> Network::new, then
//! one predict and one training step on whatever builds. Input layout: u16 LE length L, L bytes
//! of spec JSON, one byte P (parameter count), then the rest as little-endian f32 split into P
//! arrays at the positions given by the next P bytes. Any Err is fine; a panic, abort, or an
//! allocation over libFuzzer's limit is a finding.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oxnet_core::net::{Dataset, Network};
use oxnet_core::spec::NetworkSpec;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let len = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
    let json = String::from_utf8_lossy(&data[2..2 + len]);
    let rest = &data[2 + len..];
    let Ok(spec) = NetworkSpec::from_json(&json) else { return };
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
    let Ok(mut net) = Network::new(spec, params) else { return };
    let (inputs, outputs) = (net.input_size(), net.output_size());
    if inputs > 1 << 16 || outputs > 1 << 16 {
        return; // a legitimately large network: running it is not what this target checks
    }
    let _ = net.predict(&vec![0.5; inputs], 1);
    if let Ok(ds) = Dataset::new(vec![0.25; inputs * 2], vec![0.0; outputs * 2], 2) {
        let _ = net.train(&ds, &[0, 1], 2, 0.01, 0);
    }
});
