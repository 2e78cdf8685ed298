"""Sign-in security (README, "Security > Sign-in").

* ``lockout``: throttled sign-in with django-axes (the client's address, the username
  counted, the lockout page).
* ``mfa``: who needs a second factor, the session's verification, authenticator apps
  (TOTP) and recovery codes (django-otp), the QR code.
* ``sessions``: the idle timeout, the absolute session age and re-authentication before
  paying or changing how to pay (``reauthentication_required``).
* ``middleware``: the session limits and the second factor, in front of every page.
* ``throttle``: password reset requests counted per address and per client address.
* ``views``, ``forms``, ``demo``: the pages, their forms and the demo's authenticators.
"""
