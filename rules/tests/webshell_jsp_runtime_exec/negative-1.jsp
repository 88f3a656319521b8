<% String n = request.getParameter("name"); out.println("Hello " + n); %>
