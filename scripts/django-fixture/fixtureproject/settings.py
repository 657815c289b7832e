"""Settings of the fixture project: a plain DRF deployment, or one with a custom user model.

DJANGO_FIXTURE_DB names the SQLite file to build; DJANGO_FIXTURE_VARIANT=custom swaps Django's
auth.User for accounts.Account (USERNAME_FIELD = 'email', no username column).
"""
import os

SECRET_KEY = "fixture-only-not-a-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

VARIANT = os.environ.get("DJANGO_FIXTURE_VARIANT", "default")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework.authtoken",
]
if VARIANT == "custom":
    # Only here: two user models with PermissionsMixin in one project would clash.
    INSTALLED_APPS.append("accounts")
    AUTH_USER_MODEL = "accounts.Account"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["DJANGO_FIXTURE_DB"],
    }
}

# Every hasher a deployment's database may hold; the build picks one per user with make_password().
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
]
try:  # Django 4.0+ only; on 3.2 the build computes Django 4's scrypt format itself.
    from django.contrib.auth.hashers import ScryptPasswordHasher  # noqa: F401

    PASSWORD_HASHERS.append("django.contrib.auth.hashers.ScryptPasswordHasher")
except ImportError:
    pass

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
}
