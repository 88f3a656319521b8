user_pref("extensions.torlauncher.prompt_at_startup", false);
user_pref("torbrowser.version", "13.5");
user_pref("browser.startup.homepage_override.mstone", "ignore");
