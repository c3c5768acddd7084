//! The traits every `Vec<u8>` guard of this crate implements, written once.

/// Implements `detach`, `Deref<Target = Vec<u8>>`, `DerefMut`, `AsRef<[u8]>`,
/// `AsMut<[u8]>`, `io::Write` (appending) and `Debug` for a guard that wraps the
/// engine's [`Held`](crate::held::Held) (`$guard(Held<'_, Pool>)`), with at most one type
/// parameter and its bound (`SizedBuf<L: ClassLayout>`).
macro_rules! vec_guard {
    ($guard:ident $(<$g:ident: $bound:path>)?) => {
        impl<$($g: $bound)?> $guard<'_ $(, $g)?> {
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

        impl<$($g: $bound)?> std::ops::Deref for $guard<'_ $(, $g)?> {
            type Target = Vec<u8>;

            #[inline]
            fn deref(&self) -> &Vec<u8> {
                self.vec()
            }
        }

        impl<$($g: $bound)?> std::ops::DerefMut for $guard<'_ $(, $g)?> {
            #[inline]
            fn deref_mut(&mut self) -> &mut Vec<u8> {
                self.vec_mut()
            }
        }

        impl<$($g: $bound)?> AsRef<[u8]> for $guard<'_ $(, $g)?> {
            fn as_ref(&self) -> &[u8] {
                self.vec()
            }
        }

        impl<$($g: $bound)?> AsMut<[u8]> for $guard<'_ $(, $g)?> {
            fn as_mut(&mut self) -> &mut [u8] {
                self.vec_mut()
            }
        }

        impl<$($g: $bound)?> std::io::Write for $guard<'_ $(, $g)?> {
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

        impl<$($g: $bound)?> std::fmt::Debug for $guard<'_ $(, $g)?> {
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
