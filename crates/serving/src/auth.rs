//! Bearer tokens as every fillroute server reads them: the `authorization`
//! metadata holds `Bearer <token>`, and a token is compared in time that
//! does not depend on where it differs (`subtle`), so response timing does
//! not reveal a prefix of a secret.

use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;

/// The bearer token in `authorization`, if any (surrounding blanks trimmed).
pub fn bearer(metadata: &MetadataMap) -> Option<&str> {
    metadata
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Whether two byte strings are equal, in time independent of where they
/// differ (a length mismatch is not hidden: token lengths are not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_authorization(value: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        if let Ok(v) = value.parse() {
            m.insert("authorization", v);
        }
        m
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn only_a_bearer_authorization_yields_a_token() {
        assert_eq!(bearer(&with_authorization("Bearer  t0k ")), Some("t0k"));
        assert_eq!(bearer(&with_authorization("t0k")), None);
        assert_eq!(bearer(&with_authorization("bearer t0k")), None);
        assert_eq!(bearer(&MetadataMap::new()), None);
    }
}
