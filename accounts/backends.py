from __future__ import annotations

from django.contrib.auth.backends import AllowAllUsersModelBackend


class ConsoleAuthBackend(AllowAllUsersModelBackend):
    """Password sign-in that lets the sign-in form tell a disabled user why they are refused.

    Authentication returns disabled users so ``ConsoleAuthenticationForm`` can answer
    "Your account is disabled"; sessions never resolve to a disabled user, so disabling a
    user ends their sessions at the next request.
    """

    def get_user(self, user_id):
        user = super().get_user(user_id)
        if user is None or not user.is_active:
            return None
        return user
