//! The traits every `Vec<u8>` guard of this crate implements, written once.

/// Implements `detach`, `Deref<Target = Vec<u8>>`, `DerefMut`, `AsRef<[u8]>`,
/// `AsMut<[u8]>`, `io::Write` (appending) and `Debug` for a guard that wraps the
/// engine's [`Held`](crate::held::Held) (`$guard(Held<H>, _)`): the guard's name, then
/// its impl generics in brackets (`SizedBuf[L: ClassLayout, H: ...]`), then its type.
macro_rules! vec_guard {
    ($guard:ident [$($g:tt)*] $ty:ty) => {
        impl<$($g)*> $ty {
            /// Takes the buffer out of the pool for good (counted as detached).
            pub fn detach(self) -> Vec<u8> {
                self.0.detach()
            }

            #[inline]
            fn vec(&self) -> &Vec<u8> {
                &self.0
            }

            #[inline]
            fn vec_mut(&mut self) -> &mut Vec<u8> {
                &mut self.0
            }
        }

        impl<$($g)*> std::ops::Deref for $ty {
            type Target = Vec<u8>;

            #[inline]
            fn deref(&self) -> &Vec<u8> {
                self.vec()
            }
        }

        impl<$($g)*> std::ops::DerefMut for $ty {
            #[inline]
            fn deref_mut(&mut self) -> &mut Vec<u8> {
                self.vec_mut()
            }
        }

        impl<$($g)*> AsRef<[u8]> for $ty {
            fn as_ref(&self) -> &[u8] {
                self.vec()
            }
        }

        impl<$($g)*> AsMut<[u8]> for $ty {
            fn as_mut(&mut self) -> &mut [u8] {
                self.vec_mut()
            }
        }

        impl<$($g)*> std::io::Write for $ty {
            fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
                self.vec_mut().extend_from_slice(data);
                Ok(data.len())
            }

            fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
                self.vec_mut().extend_from_slice(data);
                Ok(())
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl<$($g)*> std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($guard))
                    .field("len", &self.vec().len())
                    .field("capacity", &self.vec().capacity())
                    .finish_non_exhaustive()
            }
        }
    };
}

pub(crate) use vec_guard;
