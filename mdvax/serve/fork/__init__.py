"""Kernels forked from a template process that has already imported and loaded what they need.

- :mod:`mdvax.serve.fork.forkserver`: the template (its own process, ``python -OO -m``);
- :mod:`mdvax.serve.fork.provisioner`: the server's side, the kernel provisioner ``mdvax-fork``
  (entry point ``jupyter_client.kernel_provisioners``) and the template's process;
- :mod:`mdvax.serve.fork.forked`: a handle on a forked kernel, which is not the server's child.

The preload hook
----------------
What the template loads for the notebook it serves is not known here: the template calls a
*preload hook*, a function named ``module:function``
(:data:`~mdvax.serve.fork.forkserver.PRELOAD_HOOK`, the dashboard's
:func:`mdvax.dashboard.preload.preload`). A hook takes no argument and

- on its first call, imports what the notebook's kernels import and loads the data they read;
- on each later call (before every fork), reloads whatever changed since (``mdvax update``
  replaced the cache) and returns True if it did (the template then freezes the new objects),
  else False;
- starts no thread and leaves none running (the template refuses to fork with one);
- catches what it can recover from: a hook that raises stops the template, and kernels are then
  launched the usual way.
"""
