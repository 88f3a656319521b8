<% Response.Write(Server.HTMLEncode(Request.Form("name"))) %>
