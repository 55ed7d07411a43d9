//! One error type for every kernel: a code mirroring the TypeScript `OxnetErrorCode` and a message
//! naming the parameter and the values. The binding prints it as "E_SHAPE: message".
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Lengths or shapes that do not match.
    Shape,
    /// A bad argument value (zero size, non-finite hyperparameter, out-of-range index).
    Arg,
    /// A network or layer configuration that cannot work.
    Config,
    /// NaN or Infinity during training.
    NonFinite,
    /// API used in the wrong order.
    State,
    /// The runtime under the kernels cannot be set up as asked (the thread pool).
    Backend,
}

impl ErrorCode {
    /// The TypeScript code string (src/errors.ts).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Shape => "E_SHAPE",
            ErrorCode::Arg => "E_ARG",
            ErrorCode::Config => "E_CONFIG",
            ErrorCode::NonFinite => "E_NONFINITE",
            ErrorCode::State => "E_STATE",
            ErrorCode::Backend => "E_BACKEND",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError {
    pub code: ErrorCode,
    pub message: String,
}

impl CoreError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CoreError { code, message: message.into() }
    }
    pub fn shape(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Shape, message)
    }
    pub fn arg(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Arg, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Config, message)
    }
    pub fn backend(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Backend, message)
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for CoreError {}

pub type Result<T> = std::result::Result<T, CoreError>;

/// Product of `dims` without overflow; `what` names the product in the error, e.g. "batch*inputs".
pub fn checked_product(op: &str, what: &str, dims: &[usize]) -> Result<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| CoreError::arg(format!("{op}: {what} = {dims:?} overflows")))
}

/// Checks that buffer `name` holds `expected` (= `what`) floats:
/// "denseForward: x has 5 floats, expected batch*inputs = 6".
pub fn expect_len(op: &str, name: &str, actual: usize, what: &str, expected: usize) -> Result<()> {
    if actual == expected {
        Ok(())
    } else {
        Err(CoreError::shape(format!("{op}: {name} has {actual} floats, expected {what} = {expected}")))
    }
}

/// Checks that a size is positive: "matmul: m must be > 0, got 0".
pub fn expect_positive(op: &str, name: &str, value: usize) -> Result<()> {
    if value > 0 {
        Ok(())
    } else {
        Err(CoreError::arg(format!("{op}: {name} must be > 0, got {value}")))
    }
}

/// Checks that a hyperparameter is finite (and in range when `ok` says so).
pub fn expect_finite(op: &str, name: &str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(CoreError::arg(format!("{op}: {name} must be finite, got {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_parameter_and_values() {
        let e = expect_len("denseForward", "x", 5, "batch*inputs", 6).unwrap_err();
        assert_eq!(e.to_string(), "E_SHAPE: denseForward: x has 5 floats, expected batch*inputs = 6");
        let e = checked_product("matmul", "m*k", &[usize::MAX, 2]).unwrap_err();
        assert_eq!(e.code, ErrorCode::Arg);
    }
}
