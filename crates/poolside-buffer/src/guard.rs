//! [`PooledBuf`], the guard of the sized and byte pools, and the traits it implements.

use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};

use crate::held::{GiveBack, Held};

/// A buffer from a [`SizedPool`](crate::SizedPool) or a [`BytePool`](crate::BytePool),
/// given back when dropped: to the size class its capacity fills, or to the byte pool,
/// which learns from its capacity. Most code names it through an alias:
/// [`SizedBuf`](crate::SizedBuf), [`ByteBuf`](crate::ByteBuf), or their owned forms.
///
/// It derefs to its `Vec<u8>`, so it can grow, and implements `AsRef<[u8]>`,
/// `AsMut<[u8]>`, `io::Write` (appending) and `Debug`. `H` is how it holds its pool: a
/// borrow (`&SizedPool`), or the `Arc` that `get_owned` clones, so that the guard outlives
/// any scope.
///
/// It cannot outlive a pool it borrows:
///
/// ```compile_fail
/// use poolside_buffer::{SizedBuf, SizedPool};
///
/// fn escape() -> SizedBuf<'static> {
///     let pool = SizedPool::new();
///     pool.get(10).unwrap() // error: returns a value referencing the local `pool`
/// }
/// ```
pub struct PooledBuf<H: Deref>(pub(crate) Held<H>)
where
    H::Target: GiveBack;

impl<H: Deref> PooledBuf<H>
where
    H::Target: GiveBack,
{
    /// Takes the buffer out of the pool for good (counted as detached).
    pub fn detach(self) -> Vec<u8> {
        self.0.detach()
    }
}

impl<H: Deref> Deref for PooledBuf<H>
where
    H::Target: GiveBack,
{
    type Target = Vec<u8>;

    #[inline]
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl<H: Deref> DerefMut for PooledBuf<H>
where
    H::Target: GiveBack,
{
    #[inline]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl<H: Deref> AsRef<[u8]> for PooledBuf<H>
where
    H::Target: GiveBack,
{
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl<H: Deref> AsMut<[u8]> for PooledBuf<H>
where
    H::Target: GiveBack,
{
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl<H: Deref> io::Write for PooledBuf<H>
where
    H::Target: GiveBack,
{
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(data);
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<H: Deref> fmt::Debug for PooledBuf<H>
where
    H::Target: GiveBack,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("len", &self.0.len())
            .field("capacity", &self.0.capacity())
            .finish_non_exhaustive()
    }
}
