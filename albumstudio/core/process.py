"""What every AlbumStudio process sets first, before numpy is loaded: BLAS on one thread
(``blas_threads``) and glibc's allocator keeping freed blocks for reuse (``allocator``). The
command line and the window call it; both settings are once per process and keep what a
person set in the environment."""

from __future__ import annotations


def prepare_process() -> None:
    from albumstudio.core.allocator import keep_freed_blocks_for_reuse
    from albumstudio.core.blas_threads import one_thread_for_the_process

    one_thread_for_the_process()
    keep_freed_blocks_for_reuse()
