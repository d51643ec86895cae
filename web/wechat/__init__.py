"""WeChat on the web: staff binding their WeChat, and learning which WeChat a visitor is."""
