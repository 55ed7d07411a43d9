//! Zero padding and cropping of channels-last images (Keras's ZeroPadding2D and Cropping2D) as one
//! op with signed amounts: the output [h + top + bottom, w + left + right, c] holds input pixel
//! (y - top, x - left) at (y, x), zero outside the input; negative amounts crop. Backward is the
//! opposite copy (input pixel (y, x) receives output pixel (y + top, x + left), zero where that
//! was cropped away), so both directions are one shifted copy of contiguous row segments.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::conv::{checked_count, MAX_ELEMENTS};
use crate::error::{expect_positive, CoreError, Result};
use crate::spec::Shape3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pad2dSpec {
    pub in_shape: Shape3,
    /// [top, bottom, left, right]: rows and columns added (positive) or cut off (negative).
    pub padding: [i64; 4],
}

impl Pad2dSpec {
    /// [height, width] of the output, None when the amounts leave nothing (or overflow).
    pub fn out_hw(&self) -> Option<[usize; 2]> {
        let [h, w, _] = self.in_shape;
        let [t, b, l, r] = self.padding;
        let side = |n: usize, a: i64, z: i64| -> Option<usize> {
            let out = i64::try_from(n).ok()?.checked_add(a)?.checked_add(z)?;
            usize::try_from(out).ok().filter(|&o| o > 0)
        };
        Some([side(h, t, b)?, side(w, l, r)?])
    }

    /// Floats per sample of the output (0 when the amounts leave nothing).
    pub fn out_size(&self) -> usize {
        self.out_hw().map_or(0, |[oh, ow]| oh * ow * self.in_shape[2])
    }
}

/// One direction of the op: `dst` [dh, dw, c] per sample from `src` [sh, sw, c], dst pixel (y, x)
/// being src pixel (y - top, x - left) or zero. Rows `rows` of dst are copied (the others are
/// zero); in each, floats `cols` are copied from src offset `from`, the rest zeroed.
#[derive(Debug, Clone, Copy)]
struct Shift {
    src_sample: usize,
    src_row: usize,
    dst_row: usize,
    dst_rows: usize,
    /// dst rows [start, end) that come from src, and the src row of `start`.
    rows: (usize, usize),
    src_first_row: usize,
    /// Floats [start, end) of each copied dst row that come from src, from src float `from`.
    cols: (usize, usize),
    from: usize,
}

impl Shift {
    /// The copy for src [sh, sw], dst [dh, dw] (c channels) shifted by (top, left).
    fn new([sh, sw]: [usize; 2], [dh, dw]: [usize; 2], c: usize, top: i64, left: i64) -> Shift {
        // dst index i comes from src index i - shift when that lies in [0, src).
        let span = |src: usize, dst: usize, shift: i64| -> (usize, usize, usize) {
            let (src, dst) = (src as i64, dst as i64);
            let start = shift.clamp(0, dst);
            let end = (src + shift).clamp(start, dst);
            // An empty span (mixed signs shifting the image out of the output) copies nothing.
            let from = if end > start { (start - shift) as usize } else { 0 };
            (start as usize, end as usize, from)
        };
        let (r0, r1, sr) = span(sh, dh, top);
        let (c0, c1, sc) = span(sw, dw, left);
        Shift {
            src_sample: sh * sw * c,
            src_row: sw * c,
            dst_row: dw * c,
            dst_rows: dh,
            rows: (r0, r1),
            src_first_row: sr,
            cols: (c0 * c, c1 * c),
            from: sc * c,
        }
    }

    fn run(&self, src: &[f32], dst: &mut [f32]) {
        let (r0, r1) = self.rows;
        let (c0, c1) = self.cols;
        let len = c1 - c0;
        for (s, d) in src.chunks_exact(self.src_sample).zip(dst.chunks_exact_mut(self.dst_row * self.dst_rows)) {
            let (before, rest) = d.split_at_mut(r0 * self.dst_row);
            let (copied, after) = rest.split_at_mut((r1 - r0) * self.dst_row);
            before.fill(0.0);
            after.fill(0.0);
            let src_rows = s[self.src_first_row * self.src_row..].chunks_exact(self.src_row);
            for (row, from) in copied.chunks_exact_mut(self.dst_row).zip(src_rows) {
                row[..c0].fill(0.0);
                row[c0..c1].copy_from_slice(&from[self.from..self.from + len]);
                row[c1..].fill(0.0);
            }
        }
    }
}

pub struct Pad2d {
    forward: Shift,
    backward: Shift,
}

impl Pad2d {
    pub fn new(spec: &Pad2dSpec, shape: &NodeShape) -> Result<Self> {
        let op = "pad2d";
        let [h, w, c] = spec.in_shape;
        expect_positive(op, "inShape[0] (height)", h)?;
        expect_positive(op, "inShape[1] (width)", w)?;
        expect_positive(op, "inShape[2] (channels)", c)?;
        checked_count(op, "inShape (height*width*channels)", &[h, w, c], MAX_ELEMENTS)?;
        if let Some((i, a)) = spec.padding.iter().enumerate().find(|(_, a)| a.unsigned_abs() > MAX_ELEMENTS as u64) {
            return Err(CoreError::arg(format!("{op}: padding[{i}] = {a} is beyond {MAX_ELEMENTS} either way")));
        }
        let Some([oh, ow]) = spec.out_hw() else {
            return Err(CoreError::arg(format!("{op}: padding {:?} leaves nothing of inShape {:?}", spec.padding, spec.in_shape)));
        };
        checked_count(op, "output (height*width*channels)", &[oh, ow, c], MAX_ELEMENTS)?;
        shape.expect(op, &[h * w * c], oh * ow * c, &[], &[])?;
        let [t, _, l, _] = spec.padding;
        Ok(Pad2d { forward: Shift::new([h, w], [oh, ow], c, t, l), backward: Shift::new([oh, ow], [h, w], c, -t, -l) })
    }
}

impl Op for Pad2d {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        self.forward.run(f.inputs.x(), f.out);
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        if let Some(dx) = b.dinputs.get(0) {
            self.backward.run(b.dout, dx);
        }
        Ok(())
    }
}
