print("toyvm")
