"""A stand-in for django-templated-mail's BaseEmailMessage, which Debian 12 does not package
(python3-djoser imports it but no package ships it). record.py puts this folder on sys.path only
when `import templated_mail` fails.

What djoser relies on, as templated_mail 1.1 does it: the template's {% block subject %},
{% block text_body %} and {% block html_body %} are rendered (each stripped) into the subject,
the plain-text body and a text/html alternative; the context gets domain, protocol, site_name
(settings.DOMAIN / SITE_NAME, else the request's site: without django.contrib.sites, the request's
host for both) and user.
"""
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.template.context import make_context
from django.template.loader import get_template
from django.template.loader_tags import BlockNode


class BaseEmailMessage(EmailMultiAlternatives):
    template_name = None

    def __init__(self, request=None, context=None, template_name=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.context = dict(context or {})
        self.html = None
        if template_name is not None:
            self.template_name = template_name

    def get_context_data(self):
        context = dict(self.context)
        site = get_current_site(self.request) if self.request else None
        secure = bool(self.request and self.request.is_secure())
        context["domain"] = context.get("domain") or getattr(settings, "DOMAIN", "") or (site.domain if site else "")
        context["protocol"] = context.get("protocol") or ("https" if secure else "http")
        context["site_name"] = context.get("site_name") or getattr(settings, "SITE_NAME", "") or (site.name if site else "")
        context["user"] = context.get("user") or (self.request.user if self.request else None)
        return context

    def render(self):
        template = get_template(self.template_name)
        context = make_context(self.get_context_data(), request=self.request)
        parts = {}
        with context.bind_template(template.template):
            for node in template.template.nodelist:
                if isinstance(node, BlockNode) and node.name in ("subject", "text_body", "html_body"):
                    parts[node.name] = node.render(context).strip()
        if "subject" in parts:
            self.subject = parts["subject"]
        if "text_body" in parts:
            self.body = parts["text_body"]
        self.html = parts.get("html_body")
        if self.body and self.html:
            self.attach_alternative(self.html, "text/html")
        elif self.html:
            self.body, self.content_subtype = self.html, "html"

    def send(self, to, *args, **kwargs):
        self.render()
        self.to = to
        self.cc = kwargs.pop("cc", [])
        self.bcc = kwargs.pop("bcc", [])
        self.reply_to = kwargs.pop("reply_to", [])
        return super().send(*args, **kwargs)
