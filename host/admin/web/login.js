// The login form: POST /login with the token; the answer sets the session cookie.
"use strict";
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = document.getElementById("message");
  message.textContent = "";
  const token = document.getElementById("token").value;
  try {
    const answer = await fetch("/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
      credentials: "same-origin",
    });
    if (answer.ok) {
      window.location.assign("/");
      return;
    }
    const body = await answer.json().catch(() => ({}));
    message.textContent = body.error || "login failed (" + answer.status + ")";
  } catch (e) {
    message.textContent = "tradehost does not answer: " + e.message;
  }
});
