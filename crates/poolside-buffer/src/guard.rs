//! The traits every `Vec<u8>` guard of this crate implements, written once.

/// Implements `Deref<Target = Vec<u8>>`, `DerefMut`, `AsRef<[u8]>`, `AsMut<[u8]>`,
/// `io::Write` (appending) and `Debug` for a guard, given how to reach its `Vec<u8>`
/// (`$get`, `$get_mut`: methods returning `&Vec<u8>` and `&mut Vec<u8>`).
macro_rules! vec_guard {
    ($guard:ident, $get:ident, $get_mut:ident) => {
        impl std::ops::Deref for $guard<'_> {
            type Target = Vec<u8>;

            #[inline]
            fn deref(&self) -> &Vec<u8> {
                self.$get()
            }
        }

        impl std::ops::DerefMut for $guard<'_> {
            #[inline]
            fn deref_mut(&mut self) -> &mut Vec<u8> {
                self.$get_mut()
            }
        }

        impl AsRef<[u8]> for $guard<'_> {
            fn as_ref(&self) -> &[u8] {
                self.$get()
            }
        }

        impl AsMut<[u8]> for $guard<'_> {
            fn as_mut(&mut self) -> &mut [u8] {
                self.$get_mut()
            }
        }

        impl std::io::Write for $guard<'_> {
            fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
                self.$get_mut().extend_from_slice(data);
                Ok(data.len())
            }

            fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
                self.$get_mut().extend_from_slice(data);
                Ok(())
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::fmt::Debug for $guard<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($guard))
                    .field("len", &self.$get().len())
                    .field("capacity", &self.$get().capacity())
                    .finish_non_exhaustive()
            }
        }
    };
}

pub(crate) use vec_guard;
